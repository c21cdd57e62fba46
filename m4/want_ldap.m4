# want_ldap.m4 - MSM_WANT_LDAP: is OpenLDAP's libldap usable?
# Sets msm_have_ldap=yes|no and LDAP_LIBS; used as the dependency test of the
# plugins that talk to a directory server.
AC_DEFUN([MSM_WANT_LDAP], [
  AS_IF([test "x$msm_have_ldap" = x], [
    msm_have_ldap=no
    AC_CHECK_HEADER([ldap.h], [
      AC_CHECK_LIB([ldap], [ldap_initialize], [msm_have_ldap=yes; LDAP_LIBS="-lldap -llber"], [], [-llber])
    ])
    AC_SUBST([LDAP_LIBS])
  ])
])
