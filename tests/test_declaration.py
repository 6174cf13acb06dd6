"""The one declaration of the model (oncosweep.lowering.declaration) and what derives from it.

The generated CUDA header is current; the packer, the compiled model's records, the raw
record, EngineResult and the dataset follow the declaration; a dataset built with no
realization (the sweep template) has exactly the structure of a simulated one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oncosweep.gpu_engine.compile import compile_scenario
from oncosweep.gpu_engine.dataset import to_dataset
from oncosweep.gpu_engine.derived import derived_parameters, parameter_values
from oncosweep.gpu_engine.layout import int_header_size, pack_model
from oncosweep.gpu_engine.record import EngineResult, empty_result
from oncosweep.lowering import declaration
from oncosweep.lowering.compiled import CompiledModel
from oncosweep.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
HEADER = ROOT / "oncosweep" / "gpu_engine" / "cuda" / declaration.HEADER_NAME


def test_generated_header_is_current() -> None:
    assert HEADER.read_text() == declaration.cuda_header(), (
        "cuda/declared.cuh is stale: run `python -m oncosweep.lowering.declaration`")


def test_every_parameter_is_declared_once_with_a_known_record_and_shape() -> None:
    names = [p.name for p in declaration.PARAMETERS]
    assert len(names) == len(set(names))
    symbols = {"T", "L", "P", "C", "G", "D", "Rg", "H", "V", "N", "Lv", "K", "Q"}
    for p in declaration.PARAMETERS:
        assert p.record in (*declaration.RECORDS, "derived"), p.name
        assert set(p.shape) <= symbols, p.name
        assert p.description, p.name
        assert not (p.kernel and p.dtype in ("str", "strs") and p.code is None), p.name


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_model_fields_match_their_declaration(config: Path) -> None:
    model = compile_scenario(Scenario.from_yaml(config))
    values = parameter_values(model)
    assert set(values) == set(declaration.PARAMETER)
    for p in declaration.PARAMETERS:
        value = values[p.name]
        if p.shape and p.dtype != "strs":
            assert isinstance(value, np.ndarray) and value.ndim == len(p.shape), p.name
            assert value.dtype == np.dtype(p.dtype), p.name
    packed = pack_model(model)
    lists = declaration.kernel_lists()
    assert packed.iparams[:len(lists["OS_INT_SCALARS"])].tolist() == [
        int(p.code.choices.index(values[n]) if (p := declaration.PARAMETER[n]).code else
            values[n]) for n in lists["OS_INT_SCALARS"]]
    # every float array sits at its offset, flattened in C order
    for k, name in enumerate(lists["OS_FLOAT_ARRAYS"]):
        offset = packed.iparams[len(lists["OS_INT_SCALARS"]) + k]
        flat = np.asarray(values[name], dtype=np.float64).reshape(-1)
        assert np.array_equal(packed.fparams[offset:offset + flat.size], flat), name
    assert int_header_size() == sum(len(v) for k, v in lists.items()
                                    if k != "OS_FLOAT_SCALARS")


def test_records_group_the_fields_and_flat_access_reads_them() -> None:
    model = compile_scenario(Scenario.from_yaml(ROOT / "configs" / "quickstart.yaml"))
    assert model.biology.birth_rate is model.birth_rate
    assert model.clinic.visit_steps == model.visit_steps
    changed = model.replace(dt=0.25, emax=model.emax * 2)
    assert changed.dt == 0.25 and changed.budget.dt == 0.25 and model.dt == 1.0
    assert np.array_equal(changed.emax, model.emax * 2)
    assert changed.biology is model.biology  # untouched records are shared
    assert derived_parameters(changed)["n_drugs"] == model.n_drugs
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        _ = model.nonsense


def test_from_fields_names_a_field_that_breaks_its_declaration() -> None:
    model = compile_scenario(Scenario.from_yaml(ROOT / "configs" / "quickstart.yaml"))
    values = {p.name: getattr(model, p.name) for p in declaration.MODEL_FIELDS}
    values["birth_rate"] = values["birth_rate"].astype(np.float32)
    with pytest.raises(TypeError, match="CompiledModel.birth_rate: declared float64"):
        CompiledModel.from_fields(**values)
    values.pop("birth_rate")
    with pytest.raises(TypeError, match="missing fields \\['birth_rate'\\]"):
        CompiledModel.from_fields(**values)


def test_engine_result_fields_are_the_declared_results() -> None:
    fields = list(EngineResult.__dataclass_fields__)
    results = [r.name for r in declaration.RESULTS]
    assert [f for f in fields if f in results] == results
    assert set(fields) - set(results) == {"realization", "traced", "stats"}


@pytest.mark.parametrize("config", ["quickstart", "ctdna_monitoring", "mech_competition"])
def test_template_without_a_run_has_the_structure_of_a_simulated_dataset(config: str) -> None:
    """The sweep template is built from the declaration (no trial realization): every
    variable, dimension, dtype and attribute equals a simulated dataset's."""
    from oncosweep.api import simulate  # noqa: PLC0415

    scenario = Scenario.from_yaml(ROOT / "configs" / f"{config}.yaml")
    name = scenario.strategy_plans()[0].name if scenario.strategy_plans() else None
    simulated = simulate(scenario, realizations=3, seed=5, strategy=name, backend="cpu",
                         threads=1)
    model = compile_scenario(scenario, name)
    empty = to_dataset(empty_result(model, model.traced_in(0, 3)), model,
                       scenario_yaml=scenario.to_yaml(), seed=5, point=0,
                       backend=simulated.attrs["backend"], engine=simulated.attrs["engine"],
                       device=simulated.attrs["device"])
    assert list(empty.variables) == list(simulated.variables)
    assert empty.attrs == simulated.attrs
    for var in simulated.variables:
        a, b = empty[var], simulated[var]
        assert (a.dims, a.dtype, a.attrs) == (b.dims, b.dtype, b.attrs), var
        if var != "realization":
            assert {d: empty.sizes[d] for d in a.dims if d != "realization"} == {
                d: simulated.sizes[d] for d in b.dims if d != "realization"}, var
