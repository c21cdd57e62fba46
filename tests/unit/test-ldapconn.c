/*
 * NAME
 *	test-ldapconn.c - unit tests of core/ldapconn.c against a real slapd
 * SUMMARY
 *	Starts Debian's slapd (back_mdb, stock core schema) on a free loopback
 *	port from a generated slapd.conf in a temporary directory, then checks:
 *	bind with the password from a file and from the environment, refusals
 *	(wrong password: no password in the message; a group-readable password
 *	file; -w style argv never needed), pipelined adds through the writer,
 *	paged search streaming every entry across many pages, pipelined
 *	modifies with a small window matched by msgid, the server's message
 *	for a refused modify, a lost server reported as MSM_ERROR_IO, and the
 *	change-record reader (comments, version line, folding, base64 DN).
 */
#include "config.h"

#include "ldapconn.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROOTDN "cn=admin,o=test"
#define ROOTPW "s3cret-Pw-for-test"

static GPid slapd_pid;
static char *slapd_dir;
static char *slapd_uri;
static char *pwfile;

static int
free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

static gboolean
slapd_up(void)
{
    MsmLdapParams p = {0};
    p.uri = slapd_uri;
    p.timeout = 2;
    MsmLdapConn *c = msm_ldap_connect(&p, NULL);
    msm_ldap_close(c);
    return c != NULL;
}

static void
start_slapd(void)
{
    if (slapd_dir == NULL) {
        slapd_dir = g_strdup(msm_test_tmpdir());
        char *db = g_build_filename(slapd_dir, "db", NULL);
        g_mkdir(db, 0700);
        pwfile = g_build_filename(slapd_dir, "rootpw", NULL);
        g_file_set_contents(pwfile, ROOTPW "\n", -1, NULL);
        g_chmod(pwfile, 0600);
        char *conf = g_strdup_printf(
            "include /etc/ldap/schema/core.schema\n"
            "include /etc/ldap/schema/cosine.schema\n"
            "include /etc/ldap/schema/inetorgperson.schema\n"
            "pidfile %s/slapd.pid\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\n"
            "sizelimit 5\n"
            "database mdb\nsuffix \"o=test\"\nrootdn \"" ROOTDN "\"\nrootpw " ROOTPW "\n"
            "directory %s\nmaxsize 16777216\nindex objectClass eq\n",
            slapd_dir, db);
        char *cp = g_build_filename(slapd_dir, "slapd.conf", NULL);
        g_file_set_contents(cp, conf, -1, NULL);
        g_free(conf);
        g_free(cp);
        g_free(db);
        slapd_uri = g_strdup_printf("ldap://127.0.0.1:%d", free_port());
    }
    char *cp = g_build_filename(slapd_dir, "slapd.conf", NULL);
    char *url = g_strdup_printf("%s/", slapd_uri);
    char *argv[] = {"/usr/sbin/slapd", "-f", cp, "-h", url, "-d", "0", NULL};
    GError *err = NULL;
    gboolean ok = g_spawn_async(NULL, argv, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                    G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &slapd_pid, &err);
    g_free(cp);
    g_free(url);
    CU_ASSERT_FATAL(ok);
    for (int i = 0; i < 100 && !slapd_up(); i++)
        g_usleep(100000);
    CU_ASSERT_FATAL(slapd_up());
}

static void
kill_slapd(int sig)
{
    if (slapd_pid <= 0)
        return;
    kill(slapd_pid, sig);
    int st;
    waitpid(slapd_pid, &st, 0);
    slapd_pid = 0;
}

static void
stop_at_exit(void)
{
    kill_slapd(SIGTERM);
}

static MsmLdapParams
admin_params(void)
{
    MsmLdapParams p = {0};
    p.uri = slapd_uri;
    p.bind_dn = ROOTDN;
    p.password_file = pwfile;
    p.no_env = TRUE;
    p.timeout = 5;
    return p;
}

typedef struct {
    guint ok, failed;
    GString *messages;
} Results;

static void
on_result(const char *dn, int rc, const char *message, gpointer tag, gpointer user_data)
{
    (void)tag;
    Results *r = user_data;
    if (rc == 0)
        r->ok++;
    else {
        r->failed++;
        g_string_append_printf(r->messages, "%s: %d %s\n", dn, rc, message);
    }
}

static void
test_bind_sources(void)
{
    if (slapd_pid == 0) {
        start_slapd();
        atexit(stop_at_exit);
    }
    GError *err = NULL;
    MsmLdapParams p = admin_params();
    MsmLdapConn *c = msm_ldap_connect(&p, &err);
    CU_ASSERT_PTR_NOT_NULL(c);
    msm_ldap_close(c);

    /* from the environment */
    p.password_file = NULL;
    p.no_env = FALSE;
    g_setenv(MSM_LDAP_PASSWORD_ENV, ROOTPW, TRUE);
    c = msm_ldap_connect(&p, &err);
    CU_ASSERT_PTR_NOT_NULL(c);
    msm_ldap_close(c);

    /* wrong password: refused, and the message does not carry it */
    g_setenv(MSM_LDAP_PASSWORD_ENV, "wrong-Pw-xyz", TRUE);
    c = msm_ldap_connect(&p, &err);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(err);
    if (err) {
        CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "invalid credentials"));
        CU_ASSERT_PTR_NULL(strstr(err->message, "wrong-Pw-xyz"));
        g_clear_error(&err);
    }
    g_unsetenv(MSM_LDAP_PASSWORD_ENV);

    /* no source at all (no terminal prompt allowed) */
    c = msm_ldap_connect(&p, &err);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    g_clear_error(&err);

    /* a password file others can read is refused */
    char *loose = g_build_filename(slapd_dir, "loose.pw", NULL);
    g_file_set_contents(loose, ROOTPW, -1, NULL);
    g_chmod(loose, 0644);
    p.password_file = loose;
    c = msm_ldap_connect(&p, &err);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(err);
    if (err)
        CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "chmod 600"));
    g_clear_error(&err);
    g_free(loose);

    /* ldaps with --starttls is contradictory; a bad scheme is refused */
    MsmLdapParams q = {0};
    q.uri = "ldaps://127.0.0.1:1";
    q.starttls = TRUE;
    CU_ASSERT_PTR_NULL(msm_ldap_connect(&q, &err));
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&err);
    q.uri = "http://127.0.0.1/";
    q.starttls = FALSE;
    CU_ASSERT_PTR_NULL(msm_ldap_connect(&q, &err));
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&err);
}

typedef struct {
    guint count;
    guint with_sn;
    GHashTable *seen;
} SearchState;

static gboolean
count_entry(MsmEntry *e, gpointer user_data, GError **error)
{
    (void)error;
    SearchState *s = user_data;
    s->count++;
    if (msm_entry_get_string(e, "sn") != NULL)
        s->with_sn++;
    g_hash_table_add(s->seen, g_ascii_strdown(msm_entry_dn(e), -1));
    msm_entry_free(e);
    return TRUE;
}

#define NPEOPLE 57

static void
test_add_search_modify(void)
{
    if (slapd_pid == 0) {
        start_slapd();
        atexit(stop_at_exit);
    }
    GError *err = NULL;
    MsmLdapParams p = admin_params();
    MsmLdapConn *c = msm_ldap_connect(&p, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    Results r = {0, 0, g_string_new(NULL)};
    MsmLdapWriter *w = msm_ldap_writer_new(c, 1, on_result, &r);
    const char *top = "dn: o=test\nobjectClass: organization\no: test\n";
    CU_ASSERT(msm_ldap_writer_submit(w, top, strlen(top), TRUE, "top", 1, NULL, &err));
    CU_ASSERT(msm_ldap_writer_flush(w, &err));
    msm_ldap_writer_free(w);
    /* pipelined adds, window 8; records without changetype are adds here */
    w = msm_ldap_writer_new(c, 8, on_result, &r);
    for (int i = 0; i < NPEOPLE; i++) {
        char *rec = g_strdup_printf("dn: uid=u%02d,o=test\nchangetype: add\nobjectClass: "
                                    "inetOrgPerson\nuid: u%02d\ncn: User %d\nsn: S%d\n",
                                    i, i, i, i);
        CU_ASSERT(msm_ldap_writer_submit(w, rec, strlen(rec), FALSE, "adds", 1, NULL, &err));
        CU_ASSERT(msm_ldap_writer_pending(w) <= 8);
        g_free(rec);
    }
    CU_ASSERT(msm_ldap_writer_flush(w, &err));
    CU_ASSERT_EQUAL(r.ok, NPEOPLE + 1);
    CU_ASSERT_EQUAL(r.failed, 0);

    /* paged search: pages of 4 entries, every entry exactly once */
    SearchState s = {0, 0, g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
    guint64 n = 0;
    CU_ASSERT(msm_ldap_search(c, "o=test", MSM_LDAP_SCOPE_SUB, "(objectClass=inetOrgPerson)", 4,
                              count_entry, &s, &n, &err));
    CU_ASSERT_EQUAL(s.count, NPEOPLE);
    CU_ASSERT_EQUAL(n, NPEOPLE);
    CU_ASSERT_EQUAL(s.with_sn, NPEOPLE);
    CU_ASSERT_EQUAL(g_hash_table_size(s.seen), NPEOPLE);
    CU_ASSERT(g_hash_table_contains(s.seen, "uid=u42,o=test"));
    g_hash_table_unref(s.seen);

    /* a bad base DN and a bad filter are clear errors */
    s.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    CU_ASSERT_FALSE(msm_ldap_search(c, "o=absent", MSM_LDAP_SCOPE_SUB, NULL, 0, count_entry, &s,
                                    NULL, &err));
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    g_clear_error(&err);
    CU_ASSERT_FALSE(msm_ldap_search(c, "o=test", MSM_LDAP_SCOPE_SUB, "(uid=", 0, count_entry, &s,
                                    NULL, &err));
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&err);
    g_hash_table_unref(s.seen);

    /* pipelined modifies, one refused with the server's message */
    r.ok = r.failed = 0;
    for (int i = 0; i < NPEOPLE; i++) {
        char *rec = g_strdup_printf("dn: uid=u%02d,o=test\nchangetype: modify\nreplace: "
                                    "description\ndescription: migrated %d\n-\n",
                                    i, i);
        CU_ASSERT(msm_ldap_writer_submit(w, rec, strlen(rec), FALSE, "mods", 1, NULL, &err));
        g_free(rec);
    }
    const char *bad = "dn: uid=nobody,o=test\nchangetype: modify\nreplace: sn\nsn: x\n-\n";
    CU_ASSERT(msm_ldap_writer_submit(w, bad, strlen(bad), FALSE, "mods", 1, NULL, &err));
    const char *bad2 = "dn: uid=u01,o=test\nchangetype: modify\nadd: noSuchAttr\nnoSuchAttr: x\n-\n";
    CU_ASSERT(msm_ldap_writer_submit(w, bad2, strlen(bad2), FALSE, "mods", 1, NULL, &err));
    CU_ASSERT(msm_ldap_writer_flush(w, &err));
    CU_ASSERT_EQUAL(r.ok, NPEOPLE);
    CU_ASSERT_EQUAL(r.failed, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.messages->str, "uid=nobody,o=test: 32"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.messages->str, "noSuchAttr"));

    MsmEntry *e = NULL;
    CU_ASSERT(msm_ldap_read_entry(c, "uid=u33,o=test", &e, &err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(e, "description"), "migrated 33");
    msm_entry_free(e);
    CU_ASSERT(msm_ldap_read_entry(c, "uid=absent,o=test", &e, &err));
    CU_ASSERT_PTR_NULL(e);

    /* a record that does not parse is an error naming the input and line */
    const char *junk = "dn: uid=u01,o=test\nchangetype: frobnicate\n";
    CU_ASSERT_FALSE(msm_ldap_writer_submit(w, junk, strlen(junk), FALSE, "junk.ldif", 7, NULL,
                                           &err));
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_PARSE));
    if (err)
        CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "junk.ldif:7"));
    g_clear_error(&err);

    /* the server dies: the writer reports a lost connection */
    kill_slapd(SIGKILL);
    gboolean ok = TRUE;
    for (int i = 0; i < 200 && ok; i++) {
        char *rec = g_strdup_printf("dn: uid=u%02d,o=test\nchangetype: modify\nreplace: "
                                    "description\ndescription: again\n-\n",
                                    i % NPEOPLE);
        ok = msm_ldap_writer_submit(w, rec, strlen(rec), FALSE, "mods", 1, NULL, &err) &&
             msm_ldap_writer_flush(w, &err);
        g_free(rec);
    }
    CU_ASSERT_FALSE(ok);
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_IO));
    if (err)
        CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "--resume"));
    g_clear_error(&err);
    msm_ldap_writer_free(w);
    msm_ldap_close(c);
    g_string_free(r.messages, TRUE);

    /* after a restart the data is there */
    start_slapd();
    c = msm_ldap_connect(&p, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT(msm_ldap_read_entry(c, "uid=u05,o=test", &e, &err));
    CU_ASSERT_PTR_NOT_NULL(e);
    if (e)
        msm_entry_free(e);
    msm_ldap_close(c);
}

static void
test_change_reader(void)
{
    const char *dir = msm_test_tmpdir();
    char *path = g_build_filename(dir, "changes.ldif", NULL);
    const char *text = "version: 1\n# a comment\n#  continued\n\n"
                       "dn: uid=a,o=test\nchangetype: modify\nreplace: description\n"
                       "description: one long value folded\n  here\n-\n\n\n"
                       "# second\ndn:: dWlkPcOpLG89dGVzdA==\nchangetype: delete\n";
    g_file_set_contents(path, text, -1, NULL);
    GError *err = NULL;
    MsmLdifChangeReader *r = msm_ldif_change_reader_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    const char *rec;
    gsize len;
    guint64 line;
    CU_ASSERT(msm_ldif_change_reader_next(r, &rec, &len, &line, &err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_EQUAL(line, 5);
    CU_ASSERT(g_str_has_prefix(rec, "dn: uid=a,o=test\n"));
    CU_ASSERT_PTR_NULL(strstr(rec, "comment"));
    char *dn = msm_ldif_record_dn(rec, len);
    CU_ASSERT_STRING_EQUAL(dn, "uid=a,o=test");
    g_free(dn);
    CU_ASSERT(msm_ldif_change_reader_next(r, &rec, &len, &line, &err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_EQUAL(line, 14);
    dn = msm_ldif_record_dn(rec, len);
    CU_ASSERT_STRING_EQUAL(dn, "uid=\xc3\xa9,o=test");
    g_free(dn);
    CU_ASSERT(msm_ldif_change_reader_next(r, &rec, &len, &line, &err));
    CU_ASSERT_PTR_NULL(rec);
    msm_ldif_change_reader_free(r);
    CU_ASSERT_PTR_NULL(msm_ldif_change_reader_open("/nonexistent/x.ldif", &err));
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    g_clear_error(&err);
    g_free(path);
}

/* ---- TLS: a second slapd with a certificate from a private CA ---- */

static gboolean
run_cmd(const char *dir, const char *cmdline)
{
    char *argv[] = {"/bin/sh", "-c", (char *)cmdline, NULL};
    int status = -1;
    gboolean ok = g_spawn_sync(dir, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, NULL, NULL, &status, NULL);
    return ok && g_spawn_check_wait_status(status, NULL);
}

static void
test_tls(void)
{
    const char *dir = msm_test_tmpdir();
    /* a CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA */
    CU_ASSERT_FATAL(run_cmd(
        dir, "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
             "-subj /CN=msm-test-ca && "
             "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
             "-subj /CN=127.0.0.1 && "
             "printf 'subjectAltName=IP:127.0.0.1\n' > san.ext && "
             "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
             "-out server.pem -days 2 -extfile san.ext && "
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem "
             "-days 2 -subj /CN=other-ca && chmod 644 server.key"));
    char *db = g_build_filename(dir, "db", NULL);
    g_mkdir(db, 0700);
    char *conf = g_strdup_printf(
        "include /etc/ldap/schema/core.schema\n"
        "pidfile %s/slapd.pid\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\n"
        "TLSCACertificateFile %s/ca.pem\nTLSCertificateFile %s/server.pem\n"
        "TLSCertificateKeyFile %s/server.key\n"
        "database mdb\nsuffix \"o=tls\"\nrootdn \"cn=admin,o=tls\"\nrootpw " ROOTPW "\n"
        "directory %s\nmaxsize 16777216\n",
        dir, dir, dir, dir, db);
    char *cp = g_build_filename(dir, "slapd.conf", NULL);
    g_file_set_contents(cp, conf, -1, NULL);
    int port = free_port(), sport = free_port();
    while (sport == port)
        sport = free_port();
    char *uri = g_strdup_printf("ldap://127.0.0.1:%d", port);
    char *suri = g_strdup_printf("ldaps://127.0.0.1:%d", sport);
    char *listen = g_strdup_printf("%s/ %s/", uri, suri);
    char *argv[] = {"/usr/sbin/slapd", "-f", cp, "-h", listen, "-d", "0", NULL};
    GPid pid = 0;
    CU_ASSERT_FATAL(g_spawn_async(NULL, argv, NULL,
                                  G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                      G_SPAWN_STDERR_TO_DEV_NULL,
                                  NULL, NULL, &pid, NULL));
    char *ca = g_build_filename(dir, "ca.pem", NULL);
    char *other = g_build_filename(dir, "other.pem", NULL);
    MsmLdapParams p = {0};
    p.uri = uri;
    p.bind_dn = "cn=admin,o=tls";
    p.password_file = pwfile;
    p.no_env = TRUE;
    p.timeout = 5;
    p.starttls = TRUE;
    p.ca_file = ca;
    GError *err = NULL;
    MsmLdapConn *c = NULL;
    for (int i = 0; i < 100 && c == NULL; i++) {
        g_clear_error(&err);
        c = msm_ldap_connect(&p, &err);
        if (c == NULL)
            g_usleep(100000);
    }
    CU_ASSERT_PTR_NOT_NULL(c); /* StartTLS with the right CA, then a simple bind */
    if (err)
        fprintf(stderr, "StartTLS: %s\n", err->message);
    g_clear_error(&err);
    msm_ldap_close(c);

    p.uri = suri;
    p.starttls = FALSE;
    c = msm_ldap_connect(&p, &err);
    CU_ASSERT_PTR_NOT_NULL(c); /* ldaps:// */
    if (err)
        fprintf(stderr, "ldaps: %s\n", err->message);
    g_clear_error(&err);
    msm_ldap_close(c);

    /* a certificate from another CA is refused */
    p.ca_file = other;
    c = msm_ldap_connect(&p, &err);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(err);
    g_clear_error(&err);
    p.uri = uri;
    p.starttls = TRUE;
    c = msm_ldap_connect(&p, &err);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(err);
    if (err)
        CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "StartTLS"));
    g_clear_error(&err);
    /* a CA file that does not exist */
    p.ca_file = "/nonexistent/ca.pem";
    CU_ASSERT_PTR_NULL(msm_ldap_connect(&p, &err));
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    g_clear_error(&err);

    kill(pid, SIGTERM);
    int st;
    waitpid(pid, &st, 0);
    g_free(ca);
    g_free(other);
    g_free(uri);
    g_free(suri);
    g_free(listen);
    g_free(cp);
    g_free(conf);
    g_free(db);
}

MSM_TEST_MAIN("ldapconn", MSM_TEST(test_change_reader), MSM_TEST(test_bind_sources),
              MSM_TEST(test_add_search_modify), MSM_TEST(test_tls));
