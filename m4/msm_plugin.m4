# msm_plugin.m4 - plugin selection for msmigrate (and for out-of-tree plugin builds)
#
# MSM_PLUGIN(NAME, DEFAULT, DESCRIPTION, [DEPENDENCY-TEST])
#   NAME            plugin name as in plugins/NAME (may contain '-')
#   DEFAULT         yes | no | auto
#   DESCRIPTION     one line for --help and the summary table
#   DEPENDENCY-TEST shell code run when the plugin is wanted; it must set
#                   msm_plugin_dep_ok=yes or =no and may set msm_plugin_dep_msg
#                   to say what is missing (and which Debian package has it).
#
# Gives --enable-NAME=yes|no|auto, AM_CONDITIONAL([BUILD_PLUGIN_<NAME>]) with
# non-alphanumerics mapped to '_', remembers the result for MSM_PLUGIN_SUMMARY,
# and stops configure with an error when the user asked for a plugin (yes)
# whose dependency test fails. With auto, a failing dependency disables the
# plugin and says why in the summary.
AC_DEFUN([MSM_PLUGIN], [
  m4_pushdef([msm_id], m4_translit([$1], [-.+], [___]))
  AC_ARG_ENABLE([$1],
    [AS_HELP_STRING([--enable-$1], [$3 (default: $2)])],
    [enable_[]msm_id=$enableval], [enable_[]msm_id=$2])
  msm_plugin_dep_ok=yes
  msm_plugin_dep_msg=""
  msm_plugin_result=no
  msm_plugin_reason="disabled"
  AS_CASE([$enable_[]msm_id],
    [yes|auto], [
      $4
      AS_IF([test "x$msm_plugin_dep_ok" = xyes],
        [msm_plugin_result=yes; msm_plugin_reason=""],
        [AS_IF([test "x$enable_[]msm_id" = xyes],
           [AC_MSG_ERROR([plugin $1 was requested with --enable-$1=yes but $msm_plugin_dep_msg; install it or configure with --disable-$1])],
           [msm_plugin_result=no; msm_plugin_reason="$msm_plugin_dep_msg"])])
    ],
    [no], [msm_plugin_result=no; msm_plugin_reason="disabled by --disable-$1"],
    [AC_MSG_ERROR([--enable-$1 takes yes, no or auto, not "$enable_[]msm_id"])])
  AM_CONDITIONAL([BUILD_PLUGIN_]msm_id, [test "x$msm_plugin_result" = xyes])
  msm_plugin_summary="$msm_plugin_summary
$1|$msm_plugin_result|$msm_plugin_reason"
  m4_popdef([msm_id])
])

# MSM_PLUGIN_SUMMARY: prints the table of plugins at the end of configure.
AC_DEFUN([MSM_PLUGIN_SUMMARY], [
  echo
  echo "  Plugins:"
  printf '    %-24s %-6s %s\n' "name" "build" "note"
  echo "$msm_plugin_summary" | while IFS='|' read -r n r why; do
    test -n "$n" || continue
    printf '    %-24s %-6s %s\n' "$n" "$r" "$why"
  done
  echo
])
