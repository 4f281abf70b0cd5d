// census STORE OUT: for every named database of an LMDB environment, the page number of each
// entry's key (the leaf page holding it) and of its value (that leaf page, or the first overflow
// page of a large value), as "database K|V page" lines. Two censuses of a store, before and after
// a commit, tell which pages the commit rewrote: copy-on-write gives every rewritten page a new
// number. Branch pages are not counted. Benchmarks/pages/run.sh drives it.
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  MDB_env *env; MDB_txn *txn; MDB_dbi main_db; MDB_cursor *mc; MDB_val k, v; MDB_envinfo info;
  mdb_env_create(&env); mdb_env_set_maxdbs(env, 64); mdb_env_set_mapsize(env, 1UL << 36);
  int rc = mdb_env_open(env, argv[1], MDB_RDONLY, 0644); if (rc) { fprintf(stderr, "%s\n", mdb_strerror(rc)); return 1; }
  char *base = 0; { FILE *m = fopen("/proc/self/maps", "r"); char line[4096];
    while (fgets(line, sizeof line, m)) if (strstr(line, "data.mdb")) { base = (char*)strtoul(line, 0, 16); break; } fclose(m); }
  FILE *out = fopen(argv[2], "w");
  mdb_txn_begin(env, NULL, MDB_RDONLY, &txn); mdb_dbi_open(txn, NULL, 0, &main_db);
  mdb_cursor_open(txn, main_db, &mc);
  char names[64][128]; int n = 0;
  while (mdb_cursor_get(mc, &k, &v, n ? MDB_NEXT : MDB_FIRST) == 0) { memcpy(names[n], k.mv_data, k.mv_size); names[n][k.mv_size] = 0; n++; }
  mdb_cursor_close(mc);
  for (int i = 0; i < n; i++) {
    MDB_dbi dbi; if (mdb_dbi_open(txn, names[i], 0, &dbi)) continue;
    MDB_cursor *c; mdb_cursor_open(txn, dbi, &c); int op = MDB_FIRST;
    while (mdb_cursor_get(c, &k, &v, op) == 0) { op = MDB_NEXT;
      fprintf(out, "%s K %ld\n", names[i], (long)(((char*)k.mv_data - base) / 4096));
      fprintf(out, "%s V %ld\n", names[i], (long)(((char*)v.mv_data - base) / 4096)); }
    mdb_cursor_close(c);
  }
  fclose(out); return 0;
}
