// oncosweep: the flat parameter and output layout shared by the CUDA kernel, its host build
// and the Python packer (oncosweep/gpu_engine/layout.py). The lists themselves are generated
// from the model's one declaration (oncosweep/lowering/declaration.py) into declared.cuh.
//
// A compiled model (oncosweep.gpu_engine.compile.CompiledModel) travels as two buffers:
//
//   iparams (int64):  [int scalars][offsets of the float arrays][offsets of the int arrays]
//                     [int array data ...]
//   fparams (double): [float scalars][float array data ...]
//
// Offsets are element indices into fparams (float arrays) or iparams (int arrays). Array
// shapes follow CompiledModel: T cell types, P phenotypes, C compartments, L loci, G growth
// groups, D drugs, Rg regimens, H = horizon_steps + 1, V monitored variants. Rates are per
// day, concentrations in the scenario's concentration units, times in steps of dt days.
//
// Outputs travel as one array of device (or host) addresses, one per entry of OS_OUTPUTS, in
// that order; their dtypes and shapes are declared in declaration.RAW_OUTPUTS.
#pragma once

#include "declared.cuh"

enum OsIntIndex {
#define OS_X(name) OSI_##name,
  OS_INT_SCALARS(OS_X)
#undef OS_X
#define OS_X(name) OSI_OFFSET_##name,
  OS_FLOAT_ARRAYS(OS_X)
#undef OS_X
#define OS_X(name) OSI_OFFSET_##name,
  OS_INT_ARRAYS(OS_X)
#undef OS_X
  OSI_HEADER_SIZE
};

enum OsFloatIndex {
#define OS_X(name) OSF_##name,
  OS_FLOAT_SCALARS(OS_X)
#undef OS_X
  OSF_HEADER_SIZE
};

enum OsOutputIndex {
#define OS_X(type, name) OSO_##name,
  OS_OUTPUTS(OS_X)
#undef OS_X
  OS_N_OUTPUTS
};

enum OsStatIndex {
#define OS_X(name) OSS_##name,
  OS_STATS(OS_X)
#undef OS_X
  OS_N_STATS
};

// Status codes of a realization (output "status").
enum OsStatus {
  OS_OK = 0,
  OS_BAD_PROBABILITY = 1,  // a draw's probability left [0, 1] (the numpy engine raises)
  OS_TOO_LARGE = 2         // a size exceeded the kernel's compiled capacity
};
