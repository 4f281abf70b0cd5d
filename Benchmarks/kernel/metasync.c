// metasync DIR METASYNC(0|1) EVENTS_PER_COMMIT COMMITS: raw LMDB durable commits, each
// EVENTS_PER_COMMIT x (a 320-byte append to "events" + a 1 KB put under one of 10,000 scope
// keys), with LMDB's default durable commit (the data flushed, then the meta page written with
// O_DSYNC: two device flushes) or with MDB_NOMETASYNC (the meta page flushed by the next
// commit's data flush: one). Prints commits/s. docs/PERFORMANCE.md quotes it.
//
//   gcc -O2 -o /tmp/metasync Benchmarks/kernel/metasync.c -llmdb && mkdir -p /tmp/ms
//   for i in 1 2 3; do /tmp/metasync /tmp/ms 0 32 1000; /tmp/metasync /tmp/ms 1 32 1000; done
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  unsigned flags = atoi(argv[2]) ? MDB_NOMETASYNC : 0; int per = atoi(argv[3]); int commits = atoi(argv[4]);
  MDB_env *env; mdb_env_create(&env); mdb_env_set_mapsize(env, 1UL << 32); mdb_env_set_maxdbs(env, 4);
  if (mdb_env_open(env, argv[1], flags, 0644)) { perror("open"); return 1; }
  MDB_txn *txn; MDB_dbi ev, vw; mdb_txn_begin(env, 0, 0, &txn);
  mdb_dbi_open(txn, "events", MDB_CREATE, &ev); mdb_dbi_open(txn, "views", MDB_CREATE, &vw); mdb_txn_commit(txn);
  char val[1024]; memset(val, 7, sizeof val); unsigned long pos = 0;
  MDB_stat st; mdb_txn_begin(env, 0, MDB_RDONLY, &txn); mdb_stat(txn, ev, &st); pos = st.ms_entries; mdb_txn_abort(txn);
  double t0 = now(); double *lat = malloc(sizeof(double) * commits);
  for (int c = 0; c < commits; c++) {
    double s = now();
    mdb_txn_begin(env, 0, 0, &txn);
    for (int i = 0; i < per; i++) {
      pos++; unsigned long k = __builtin_bswap64(pos); MDB_val key = {8, &k}, v = {320, val};
      mdb_put(txn, ev, &key, &v, MDB_APPEND);
      char sk[32]; int n = snprintf(sk, sizeof sk, "o%lu/p%lu/s%lu", pos % 10, pos % 100, (pos * 7919) % 10000);
      MDB_val k2 = {n, sk}, v2 = {1024, val}; mdb_put(txn, vw, &k2, &v2, 0);
    }
    mdb_txn_commit(txn);
    lat[c] = now() - s;
  }
  double el = now() - t0;
  printf("flags %s per %d: %.0f commits/s, %.0f events/s\n", flags ? "NOMETASYNC" : "durable", per, commits / el, commits * per / el);
  return 0;
}
