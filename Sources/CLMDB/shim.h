#ifndef COLONY_CLMDB_SHIM_H
#define COLONY_CLMDB_SHIM_H
#include <lmdb.h>
#endif
