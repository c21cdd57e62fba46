# want_bdb.m4 - MSM_REQUIRE_BDB: Berkeley DB 5.3 (libdb5.3-dev), required by core
# for the run journal and by the store codecs for the mboxlist databases.
AC_DEFUN([MSM_REQUIRE_BDB], [
  AC_CHECK_HEADER([db.h], [], [AC_MSG_ERROR([db.h not found: install Berkeley DB 5.3 headers (Debian: apt-get install libdb5.3-dev)])])
  AC_MSG_CHECKING([for Berkeley DB 5.3 in db.h])
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <db.h>]],
      [[#if DB_VERSION_MAJOR != 5 || DB_VERSION_MINOR != 3
        #error not 5.3
        #endif]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no]); AC_MSG_ERROR([db.h is not Berkeley DB 5.3 (Debian: apt-get install libdb5.3-dev)])])
  AC_CHECK_LIB([db-5.3], [db_env_create], [BDB_LIBS="-ldb-5.3"],
    [AC_MSG_ERROR([libdb-5.3 not found (Debian: apt-get install libdb5.3-dev)])])
  AC_SUBST([BDB_LIBS])
])
