#!/bin/sh
# MSM_PLUGIN(): --enable-NAME=yes|no|auto, AM_CONDITIONAL, summary table, and a hard
# error when a plugin asked for lacks its dependency. Runs real autoconf/automake.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"

p="$TMP/proj"
mkdir -p "$p/m4"
cp "$MSM_TOP_SRCDIR/m4/msm_plugin.m4" "$p/m4/"
cat >"$p/configure.ac" <<'AC'
AC_INIT([macrotest], [1])
AC_CONFIG_MACRO_DIR([m4])
AM_INIT_AUTOMAKE([foreign])
AC_PROG_CC
msm_plugin_summary=""
MSM_PLUGIN([needs-foo], [auto], [a plugin that needs libfoo],
  [msm_plugin_dep_ok=no; msm_plugin_dep_msg="libfoo is missing (Debian: apt-get install libfoo-dev)"])
MSM_PLUGIN([plain], [yes], [a plugin with no dependency], [msm_plugin_dep_ok=yes])
AC_CONFIG_FILES([Makefile])
AC_OUTPUT
MSM_PLUGIN_SUMMARY
AC
printf 'if BUILD_PLUGIN_plain\nPLAIN = on\nendif\nif BUILD_PLUGIN_needs_foo\nFOO = on\nendif\n' >"$p/Makefile.am"
expect_exit 0 "autoreconf" sh -c "cd '$p' && autoreconf -i"
expect_exit 0 "configure (auto)" sh -c "cd '$p' && ./configure"
contains "$TMP/out" "needs-foo" "summary lists needs-foo"
check "summary: needs-foo not built, with the reason" grep -E "needs-foo +no +libfoo is missing" "$TMP/out"
check "summary: plain built" grep -E "plain +yes" "$TMP/out"
check "AM_CONDITIONAL set for plain" grep -q '^PLAIN = on' "$p/Makefile"
check "AM_CONDITIONAL unset for needs-foo" grep -q '^#FOO = on' "$p/Makefile"
expect_exit 1 "--enable-needs-foo=yes is a hard error" sh -c "cd '$p' && ./configure --enable-needs-foo=yes"
contains "$TMP/err" "plugin needs-foo was requested" "error names the plugin"
contains "$TMP/err" "libfoo is missing" "error names the dependency"
expect_exit 0 "--disable-plain" sh -c "cd '$p' && ./configure --disable-plain"
check "summary says disabled" grep -E "plain +no +disabled by --disable-plain" "$TMP/out"
expect_exit 1 "a bad value is refused" sh -c "cd '$p' && ./configure --enable-plain=maybe"
finish
