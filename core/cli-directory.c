/*
 * NAME
 *	cli-directory.c - `msmigrate directory migrate|undo|import|find-stale|aci`
 * SUMMARY
 *	migrate: imsdirmig (-M sims|nms, -m, -A, -P, -O, -F, -T, -c, -n) and
 *	commdirmig (--schema2 -t 1|2|3, --domain) against a live server
 *	(--uri, --base, --bind-dn, --password-file, --starttls, --ca-file) or
 *	offline on an LDIF export (--offline IN.ldif). Preview is the default;
 *	--apply changes the server, journalled in a run directory under
 *	--target, and --resume RUN completes an interrupted run with the
 *	options it was started with. undo / import apply a change LDIF
 *	(ldapmodify -c semantics, rejects file); find-stale lists domains that
 *	still name the old mail host and writes the fix; aci writes the
 *	delegated-admin ACI LDIF. The site profile's [directory] uri, base_dn,
 *	bind_dn and password_file, and [deployment] target, are the defaults.
 *	Exit codes: 0 done, 1 failed, 2 done with skipped or rejected entries
 *	(or stale domains found), 3 refused before anything was changed.
 * DIAGNOSTICS
 *	"msmigrate: directory VERB: message". A password on the command line
 *	(-w) is refused: it would be visible in ps and in shell history.
 */
#include "config.h"

#include "cli.h"
#include "dirmig-online.h"
#include "journal.h"
#include "json.h"
#include "util.h"

#include "ldif.h"

#include <stdio.h>
#include <string.h>

/* Options shared by every directory verb that talks to a server. */
typedef struct {
    char *uri, *base, *bind_dn, *password_file, *ca_file, *target, *password_argv;
    gboolean starttls, apply;
    char *p_uri, *p_base, *p_bind, *p_pwfile, *p_pwenv, *p_target; /* from the profile */
} ConnOpts;

#define CONN_ENTRIES(co)                                                                       \
    {"uri", 'H', 0, G_OPTION_ARG_STRING, &(co).uri,                                            \
     "Directory server: ldap://HOST:PORT or ldaps://HOST:PORT", "URI"},                        \
        {"base", 'b', 0, G_OPTION_ARG_STRING, &(co).base, "Base DN where entries are read",   \
         "DN"},                                                                                \
        {"bind-dn", 'D', 0, G_OPTION_ARG_STRING, &(co).bind_dn, "Bind DN (simple bind)", "DN"}, \
        {"password-file", 'y', 0, G_OPTION_ARG_FILENAME, &(co).password_file,                  \
         "Read the bind password from FILE (mode 0600); else $MSMIGRATE_BIND_PASSWORD, else "  \
         "a prompt",                                                                           \
         "FILE"},                                                                              \
        {"starttls", 'Z', 0, G_OPTION_ARG_NONE, &(co).starttls, "Use StartTLS on ldap://",     \
         NULL},                                                                                \
        {"ca-file", 0, 0, G_OPTION_ARG_FILENAME, &(co).ca_file,                                \
         "PEM file of the CA that signed the server's certificate", "FILE"},                   \
        {"target", 0, 0, G_OPTION_ARG_FILENAME, &(co).target,                                  \
         "Deployment root under which the run directory is kept (default: profile, else .)",   \
         "DIR"},                                                                               \
        {"apply", 0, 0, G_OPTION_ARG_NONE, &(co).apply,                                        \
         "Change the server (default: preview, nothing is changed)", NULL},                    \
    {                                                                                          \
        "password", 'w', G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &(co).password_argv,       \
            "refused: use --password-file", "PW"                                               \
    }

static void
conn_clear(ConnOpts *co)
{
    g_free(co->uri);
    g_free(co->base);
    g_free(co->bind_dn);
    g_free(co->password_file);
    g_free(co->ca_file);
    g_free(co->target);
    if (co->password_argv) {
        memset(co->password_argv, 0, strlen(co->password_argv));
        g_free(co->password_argv);
    }
    g_free(co->p_uri);
    g_free(co->p_base);
    g_free(co->p_bind);
    g_free(co->p_pwfile);
    g_free(co->p_pwenv);
    g_free(co->p_target);
}

/* Fills p from the options and the profile; FALSE (message printed) on -w. */
static gboolean
conn_params(const char *verb, ConnOpts *co, CliCommon *common, MsmLdapParams *p)
{
    if (co->password_argv) {
        fprintf(stderr,
                "msmigrate: %s: a password on the command line is visible to every user (ps) "
                "and kept in shell history; put it in a file only you can read and give "
                "--password-file FILE, or set MSMIGRATE_BIND_PASSWORD\n",
                verb);
        return FALSE;
    }
    memset(p, 0, sizeof *p);
    p->uri = cli_profile_default(common, co->uri, "directory", "uri", &co->p_uri);
    p->bind_dn = cli_profile_default(common, co->bind_dn, "directory", "bind_dn", &co->p_bind);
    p->password_file = cli_profile_default(common, co->password_file, "directory",
                                           "password_file", &co->p_pwfile);
    if (co->password_file == NULL)
        p->password_env = cli_profile_default(common, NULL, "directory", "password_env",
                                              &co->p_pwenv);
    p->starttls = co->starttls;
    p->ca_file = co->ca_file;
    p->prompt = TRUE;
    cli_profile_default(common, co->base, "directory", "base_dn", &co->p_base);
    cli_profile_default(common, co->target, "deployment", "target", &co->p_target);
    return TRUE;
}

static const char *
conn_base(const ConnOpts *co)
{
    return co->base ? co->base : co->p_base;
}

static const char *
conn_target(const ConnOpts *co)
{
    return co->target ? co->target : co->p_target ? co->p_target : ".";
}

static int
exit_code_for(const GError *err)
{
    return err && (g_error_matches(err, MSM_ERROR, MSM_ERROR_PRECONDITION) ||
                   g_error_matches(err, MSM_ERROR, MSM_ERROR_LOCKED))
               ? MSM_EXIT_REFUSED
               : MSM_EXIT_FAILED;
}

/* ---- migrate ---- */

static void
print_migrate_report(const MsmDirmigOnlineReport *rep, gboolean apply, gboolean json,
                     const char *target, gboolean ok, const GError *err)
{
    if (json) {
        MsmJson *j = msm_json_new(TRUE);
        msm_json_begin_object(j);
        msm_json_kv_string(j, "run_id", rep->run_id);
        msm_json_kv_string(j, "work_dir", rep->work_dir);
        msm_json_kv_string(j, "mode", apply ? "apply" : "preview");
        msm_json_kv_string(j, "result",
                           ok ? "done" : rep->interrupted ? "interrupted" : "failed");
        msm_json_kv_int(j, "read", (gint64)rep->read);
        msm_json_kv_int(j, "selected", (gint64)rep->selected);
        msm_json_kv_int(j, "changed", (gint64)rep->changed);
        msm_json_kv_int(j, "unchanged", (gint64)rep->unchanged);
        msm_json_kv_int(j, "skipped", (gint64)rep->skipped);
        msm_json_kv_int(j, "applied", (gint64)rep->applied);
        msm_json_kv_int(j, "failed", (gint64)rep->failed);
        msm_json_kv_int(j, "resumed", (gint64)rep->resumed);
        msm_json_kv_string(j, "audit_ldif", rep->audit_path);
        msm_json_kv_string(j, "undo_ldif", rep->undo_path);
        msm_json_kv_string(j, "reject_ldif", rep->reject_path);
        msm_json_kv_string(j, "error", err ? err->message : NULL);
        msm_json_end_object(j);
        char *s = msm_json_finish(j);
        fputs(s, stdout);
        g_free(s);
        return;
    }
    printf("run %s (%s)\n", rep->run_id ? rep->run_id : "-", apply ? "applied" : "preview");
    printf("  read %" G_GUINT64_FORMAT ", selected %" G_GUINT64_FORMAT ", changed %" G_GUINT64_FORMAT
           ", unchanged %" G_GUINT64_FORMAT ", skipped %" G_GUINT64_FORMAT "\n",
           rep->read, rep->selected, rep->changed, rep->unchanged, rep->skipped);
    if (apply)
        printf("  applied %" G_GUINT64_FORMAT ", failed %" G_GUINT64_FORMAT
               ", already done before resume %" G_GUINT64_FORMAT "\n",
               rep->applied, rep->failed, rep->resumed);
    if (rep->audit_path)
        printf("  audit LDIF:  %s\n", rep->audit_path);
    if (rep->undo_path)
        printf("  undo LDIF:   %s\n", rep->undo_path);
    if (rep->reject_path && rep->failed)
        printf("  reject LDIF: %s\n", rep->reject_path);
    if (!apply && ok)
        printf("  nothing was changed on the server; --apply applies these modifies\n");
    if (!ok && apply && rep->interrupted && rep->run_id && rep->work_dir)
        printf("  interrupted: when the server is back, run\n"
               "    msmigrate directory migrate --target %s --resume %s\n",
               target, rep->run_id);
}

static char *
join_argv(int argc, char **argv)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < argc; i++) {
        if (i)
            g_string_append_c(s, '\x1f');
        g_string_append(s, argv[i]);
    }
    return g_string_free(s, FALSE);
}

static int directory_migrate_main(int argc, char **argv, const char *resume_from_meta);

static int
directory_migrate(int argc, char **argv)
{
    return directory_migrate_main(argc, argv, NULL);
}

static int
directory_migrate_main(int argc, char **argv, const char *resume_from_meta)
{
    CliCommon common = {0};
    ConnOpts co = {0};
    char *from = NULL, *what = NULL, *filter = NULL, *mailhost = NULL, *offline = NULL,
         *out = NULL, *resume = NULL, *domain = NULL, *dc_root = NULL, *org_root = NULL;
    char **pairs = NULL;
    gboolean add = FALSE, only = FALSE, cont = FALSE, preview = FALSE, schema2 = FALSE,
             break_lock = FALSE;
    gint threads = 2, mode = 0, max_errors = 0, max_percent = 0;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    MsmDirmigOptions map = {0};
    char *recorded = join_argv(argc, argv);
    const GOptionEntry entries[] = {
        CONN_ENTRIES(co),
        {"from", 'M', 0, G_OPTION_ARG_STRING, &from,
         "Source schema: sims (SIMS 4.0) or nms (NMS 3.x/4.x)", "sims|nms"},
        {"entries", 'm', 0, G_OPTION_ARG_STRING, &what,
         "Entry types: user, group, domain or both (users and groups); default all", "TYPE"},
        {"pairs", 'A', 0, G_OPTION_ARG_STRING_ARRAY, &pairs,
         "attr:val[;attr:val]... set on every migrated entry (repeatable)", "PAIRS"},
        {"add-values", 'P', 0, G_OPTION_ARG_NONE, &add, "Add the -A values instead of replacing",
         NULL},
        {"only-pairs", 'O', 0, G_OPTION_ARG_NONE, &only,
         "Apply only the -A pairs (no schema upgrade)", NULL},
        {"filter", 'F', 0, G_OPTION_ARG_STRING, &filter, "Only entries matching this RFC 4515 filter",
         "FILTER"},
        {"threads", 'T', 0, G_OPTION_ARG_INT, &threads,
         "Update parallelism: 32*N modifies in flight (default 2)", "N"},
        {"continue", 'c', 0, G_OPTION_ARG_NONE, &cont,
         "Continue past failures (within the error budget)", NULL},
        {"preview", 'n', 0, G_OPTION_ARG_NONE, &preview, "Preview only (the default)", NULL},
        {"max-errors", 0, 0, G_OPTION_ARG_INT, &max_errors,
         "With -c: stop after N failures (default 1000)", "N"},
        {"max-error-percent", 0, 0, G_OPTION_ARG_INT, &max_percent,
         "With -c: stop when more than PCT% of the entries fail (default 50)", "PCT"},
        {"mailhost", 0, 0, G_OPTION_ARG_STRING, &mailhost,
         "New mail host: mailHost / mailRoutingHosts are set to it", "HOST"},
        {"schema2", 0, 0, G_OPTION_ARG_NONE, &schema2,
         "commdirmig: Schema 1 to Schema 2 (with -t)", NULL},
        {"type", 't', 0, G_OPTION_ARG_INT, &mode,
         "commdirmig -t: 1 = Schema 1 to 2 native, 2 = to 2 compat, 3 = compat to native",
         "1|2|3"},
        {"domain", 'd', 0, G_OPTION_ARG_STRING, &domain, "commdirmig: only this domain", "DOMAIN"},
        {"dc-root", 'r', 0, G_OPTION_ARG_STRING, &dc_root, "DC tree root (o=internet)", "DN"},
        {"org-root", 0, 0, G_OPTION_ARG_STRING, &org_root, "Organization tree root", "DN"},
        {"offline", 0, 0, G_OPTION_ARG_FILENAME, &offline,
         "Migrate an LDIF export (db2ldif) instead of a live server", "IN.ldif"},
        {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
         "--offline: the migrated LDIF (default: in the run directory)", "OUT.ldif"},
        {"resume", 0, 0, G_OPTION_ARG_STRING, &resume,
         "Complete an interrupted applying run (its options are reused)", "RUN"},
        {"break-lock", 0, 0, G_OPTION_ARG_NONE, &break_lock,
         "Replace a stale deployment lock (left by a killed run)", NULL},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "directory migrate", "",
                   "Upgrade SIMS 4.0 / NMS entries to the iMS schema (imsdirmig) or Schema 1 to "
                   "Schema 2 (commdirmig), on a live server or offline. Preview is the default.",
                   entries, &common))
        goto out;
    if (argc != 1) {
        fprintf(stderr, "msmigrate: directory migrate: unexpected argument %s\n", argv[1]);
        goto out;
    }
    MsmLdapParams lp;
    if (!conn_params("directory migrate", &co, &common, &lp))
        goto out;
    const char *target = conn_target(&co);
    if (resume && resume_from_meta == NULL) {
        /* reuse the options the run was started with */
        char *stored = msm_dirmig_run_meta(target, resume, "argv", &err);
        if (stored == NULL) {
            if (err == NULL)
                g_set_error(&err, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                            "run %s was not started by 'directory migrate --apply'", resume);
            cli_error("directory migrate", err);
            goto out;
        }
        char **sv = g_strsplit(stored, "\x1f", -1);
        g_free(stored);
        GPtrArray *nv = g_ptr_array_new();
        for (char **s = sv; *s; s++)
            g_ptr_array_add(nv, *s);
        g_ptr_array_add(nv, (char *)"--resume");
        g_ptr_array_add(nv, resume);
        if (break_lock)
            g_ptr_array_add(nv, (char *)"--break-lock");
        if (common.quiet)
            g_ptr_array_add(nv, (char *)"--quiet");
        if (common.json)
            g_ptr_array_add(nv, (char *)"--json");
        g_ptr_array_add(nv, NULL);
        rc = directory_migrate_main((int)nv->len - 1, (char **)nv->pdata, resume);
        g_ptr_array_unref(nv);
        g_strfreev(sv);
        goto out;
    }
    if (preview && co.apply) {
        fprintf(stderr, "msmigrate: directory migrate: -n (preview) and --apply contradict\n");
        goto out;
    }
    /* the mapping options */
    if (schema2 || mode) {
        if (mode < 1 || mode > 3) {
            fprintf(stderr, "msmigrate: directory migrate: --schema2 needs -t 1, 2 or 3 "
                            "(1 = Schema 1 to 2 native, 2 = to 2 compat, 3 = compat to native)\n");
            goto out;
        }
        map.from = MSM_DIRMIG_FROM_SCHEMA1;
        map.commdirmig_mode = mode;
    } else if (from && g_ascii_strcasecmp(from, "sims") == 0) {
        map.from = MSM_DIRMIG_FROM_SIMS;
    } else if (from && g_ascii_strcasecmp(from, "nms") == 0) {
        map.from = MSM_DIRMIG_FROM_NMS;
    } else {
        fprintf(stderr, "msmigrate: directory migrate: give -M sims|nms (imsdirmig) or "
                        "--schema2 -t 1|2|3 (commdirmig)\n");
        goto out;
    }
    map.what = MSM_DIRMIG_USERS | MSM_DIRMIG_GROUPS | MSM_DIRMIG_DOMAINS;
    if (what && !msm_dirmig_parse_what(what, &map.what, &err)) {
        cli_error("directory migrate", err);
        goto out;
    }
    for (char **p = pairs; p && *p; p++)
        if (!msm_dirmig_parse_pairs(*p, &map.pairs, &err)) {
            cli_error("directory migrate", err);
            goto out;
        }
    if (only && map.pairs == NULL) {
        fprintf(stderr, "msmigrate: directory migrate: -O applies only the -A pairs: give -A\n");
        goto out;
    }
    map.add = add;
    map.only_pairs = only;
    map.filter = g_strdup(filter);
    map.new_mailhost = g_strdup(mailhost);
    map.domain_scope = g_strdup(domain);
    map.dc_root = g_strdup(dc_root);
    map.org_root = g_strdup(org_root);
    if (threads < 1 || threads > 64) {
        fprintf(stderr, "msmigrate: directory migrate: -T takes 1 to 64\n");
        goto out;
    }

    if (offline) {
        char *rid = msm_new_run_id();
        char *art = g_build_filename(target, ".msmigrate", "runs", rid, "artifacts", NULL);
        if (!msm_mkdir_p(art, TRUE, &err)) {
            cli_error("directory migrate", err);
            g_free(rid);
            g_free(art);
            goto out;
        }
        char *outp = out ? g_strdup(out) : g_build_filename(art, "directory-migrated.ldif", NULL);
        char *auditp = g_build_filename(art, "directory-audit.ldif", NULL);
        char *undop = g_build_filename(art, "directory-undo.ldif", NULL);
        char *rejp = g_build_filename(art, "directory-reject.ldif", NULL);
        MsmDirmigStats st = {0};
        gboolean ok = msm_dirmig_offline(&map, offline, outp, auditp, undop, rejp, &st, &err);
        {
            /* meta and events only, so that 'msmigrate status' lists the run */
            char *jd = g_build_filename(target, ".msmigrate", "runs", rid, "journal", NULL);
            MsmJournal *j = msm_journal_open(jd, TRUE, NULL);
            if (j) {
                GDateTime *dt = g_date_time_new_now_utc();
                char *now = g_date_time_format_iso8601(dt);
                g_date_time_unref(dt);
                msm_journal_set_meta(j, "format", "1", NULL);
                msm_journal_set_meta(j, "run_id", rid, NULL);
                msm_journal_set_meta(j, "kinds", "directory", NULL);
                msm_journal_set_meta(j, "command", "directory migrate --offline", NULL);
                msm_journal_set_meta(j, "started", now, NULL);
                msm_journal_set_meta(j, "target", target, NULL);
                msm_journal_set_meta(j, "dry_run", "no", NULL);
                msm_journal_set_meta(j, "state", ok ? "finished" : "failed", NULL);
                msm_journal_event(j, NULL,
                                  "directory migrate --offline %s: %" G_GUINT64_FORMAT
                                  " read, %" G_GUINT64_FORMAT " changed",
                                  offline, st.read, st.changed);
                msm_journal_close(j);
                g_free(now);
            }
            g_free(jd);
        }
        if (common.json) {
            MsmJson *j = msm_json_new(TRUE);
            msm_json_begin_object(j);
            msm_json_kv_string(j, "run_id", rid);
            msm_json_kv_string(j, "mode", "offline");
            msm_json_kv_string(j, "result", ok ? "done" : "failed");
            msm_json_kv_int(j, "read", (gint64)st.read);
            msm_json_kv_int(j, "changed", (gint64)st.changed);
            msm_json_kv_int(j, "unchanged", (gint64)st.unchanged);
            msm_json_kv_int(j, "skipped", (gint64)st.skipped);
            msm_json_kv_int(j, "rejected", (gint64)st.rejected);
            msm_json_kv_string(j, "out_ldif", outp);
            msm_json_kv_string(j, "audit_ldif", auditp);
            msm_json_kv_string(j, "undo_ldif", undop);
            msm_json_kv_string(j, "reject_ldif", rejp);
            msm_json_kv_string(j, "error", ok ? NULL : err->message);
            msm_json_end_object(j);
            char *s = msm_json_finish(j);
            fputs(s, stdout);
            g_free(s);
        } else if (ok) {
            printf("offline run %s: read %" G_GUINT64_FORMAT ", changed %" G_GUINT64_FORMAT
                   ", unchanged %" G_GUINT64_FORMAT ", skipped %" G_GUINT64_FORMAT
                   ", rejected %" G_GUINT64_FORMAT "\n  migrated LDIF: %s\n  audit LDIF:    "
                   "%s\n  undo LDIF:     %s\n  reject LDIF:   %s\n",
                   rid, st.read, st.changed, st.unchanged, st.skipped, st.rejected, outp, auditp,
                   undop, rejp);
        }
        if (!ok)
            cli_error("directory migrate", err);
        rc = !ok ? exit_code_for(err) : st.rejected ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
        g_free(rid);
        g_free(art);
        g_free(outp);
        g_free(auditp);
        g_free(undop);
        g_free(rejp);
        goto out;
    }

    MsmDirmigOnlineOptions opt = {0};
    opt.map = &map;
    opt.ldap = lp;
    /* commdirmig reads both trees: the DC tree (domains) and the organization tree */
    const char *bases[3] = {NULL, NULL, NULL};
    opt.base = conn_base(&co);
    if (opt.base == NULL && map.from == MSM_DIRMIG_FROM_SCHEMA1) {
        opt.base = map.dc_root ? map.dc_root : map.org_root;
        if (map.dc_root && map.org_root)
            bases[0] = map.org_root;
        opt.more_bases = bases;
    }
    opt.apply = co.apply;
    opt.continue_on_error = cont;
    opt.max_errors = (guint64)(max_errors > 0 ? max_errors : 0);
    opt.max_error_percent = (guint)(max_percent > 0 ? max_percent : 0);
    opt.window = (guint)threads * 32;
    opt.target_root = target;
    opt.resume_id = resume;
    opt.break_lock = break_lock;
    opt.argv_record = resume_from_meta ? NULL : recorded;
    opt.quiet = common.quiet || common.json;
    MsmDirmigOnlineReport rep = {0};
    gboolean ok = msm_dirmig_online(&opt, &rep, &err);
    print_migrate_report(&rep, co.apply, common.json, target, ok, err);
    if (!ok) {
        cli_error("directory migrate", err);
        rc = exit_code_for(err);
    } else {
        /* skips are deliberate (their reasons are printed and journalled); a
         * refused entry needs attention and a rerun */
        rc = rep.failed ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
    }
    msm_dirmig_online_report_clear(&rep);
out:
    msm_dirmig_options_clear(&map);
    g_clear_error(&err);
    g_free(recorded);
    g_free(from);
    g_free(what);
    g_free(filter);
    g_free(mailhost);
    g_free(offline);
    g_free(out);
    g_free(resume);
    g_free(domain);
    g_free(dc_root);
    g_free(org_root);
    g_strfreev(pairs);
    conn_clear(&co);
    cli_common_clear(&common);
    return rc;
}

/* ---- undo / import: apply a change LDIF ---- */

static int
apply_verb(int argc, char **argv, const char *verb, gboolean is_undo)
{
    CliCommon common = {0};
    ConnOpts co = {0};
    char *run = NULL, *rejects = NULL;
    gboolean add = FALSE, stop = FALSE;
    gint threads = 2;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    char *input = NULL, *rej = NULL;
    const GOptionEntry undo_entries[] = {
        CONN_ENTRIES(co),
        {"run", 0, 0, G_OPTION_ARG_STRING, &run,
         "Undo this run (its artifacts/directory-undo.ldif)", "RUN"},
        {"rejects", 0, 0, G_OPTION_ARG_FILENAME, &rejects,
         "Write refused records here with the server's message", "FILE"},
        {"stop", 0, 0, G_OPTION_ARG_NONE, &stop, "Stop at the first refused record (no -c)",
         NULL},
        {"threads", 'T', 0, G_OPTION_ARG_INT, &threads, "32*N operations in flight", "N"},
        G_OPTION_ENTRY_NULL,
    };
    const GOptionEntry import_entries[] = {
        CONN_ENTRIES(co),
        {"rejects", 0, 0, G_OPTION_ARG_FILENAME, &rejects,
         "Write refused records here with the server's message", "FILE"},
        {"add", 'a', 0, G_OPTION_ARG_NONE, &add,
         "Records without changetype are adds (ldapmodify -a)", NULL},
        {"stop", 0, 0, G_OPTION_ARG_NONE, &stop, "Stop at the first refused record (no -c)",
         NULL},
        {"threads", 'T', 0, G_OPTION_ARG_INT, &threads, "32*N operations in flight", "N"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, verb, is_undo ? "[UNDO.ldif]" : "CHANGES.ldif",
                   is_undo ? "Restore the entries of a directory run from its undo LDIF "
                             "(ldapmodify -c semantics). Preview unless --apply."
                           : "Import a change LDIF such as ms62's ugdir_diff.ldif with "
                             "ldapmodify -c semantics and a rejects file. Preview unless "
                             "--apply.",
                   is_undo ? undo_entries : import_entries, &common))
        goto out;
    MsmLdapParams lp;
    if (!conn_params(verb, &co, &common, &lp))
        goto out;
    const char *target = conn_target(&co);
    if (is_undo && run) {
        if (argc != 1) {
            fprintf(stderr, "msmigrate: %s: give --run RUN or an undo LDIF, not both\n", verb);
            goto out;
        }
        input = g_build_filename(target, ".msmigrate", "runs", run, "artifacts",
                                 "directory-undo.ldif", NULL);
        if (!msm_relpath_is_safe(run) || !g_file_test(input, G_FILE_TEST_IS_REGULAR)) {
            fprintf(stderr,
                    "msmigrate: %s: run %s has no undo LDIF under %s/.msmigrate/runs (a "
                    "preview writes none; check --target)\n",
                    verb, run, target);
            goto out;
        }
        rej = rejects ? g_strdup(rejects)
                      : g_build_filename(target, ".msmigrate", "runs", run, "artifacts",
                                         "directory-undo-reject.ldif", NULL);
    } else {
        if (argc != 2) {
            fprintf(stderr, "msmigrate: %s: name one LDIF file%s\n", verb,
                    is_undo ? " (or --run RUN)" : "");
            goto out;
        }
        input = g_strdup(argv[1]);
        if (rejects) {
            rej = g_strdup(rejects);
        } else {
            char *sd = g_build_filename(target, ".msmigrate", NULL);
            char *bn = g_path_get_basename(input);
            char *name = g_strdup_printf("%s.rejects", bn);
            if (!msm_mkdir_p(sd, TRUE, &err)) {
                cli_error(verb, err);
                g_free(sd);
                g_free(bn);
                g_free(name);
                goto out;
            }
            rej = g_build_filename(sd, name, NULL);
            g_free(sd);
            g_free(bn);
            g_free(name);
        }
    }
    if (!co.apply) {
        /* preview: the records that would be sent */
        MsmLdifChangeReader *r = msm_ldif_change_reader_open(input, &err);
        if (r == NULL) {
            cli_error(verb, err);
            goto out;
        }
        guint64 n = 0;
        const char *rec;
        gsize len;
        guint64 line;
        while (msm_ldif_change_reader_next(r, &rec, &len, &line, &err) && rec) {
            n++;
            if (!common.json && !common.quiet) {
                char *dn = msm_ldif_record_dn(rec, len);
                printf("%s:%" G_GUINT64_FORMAT ": %s\n", input, line, dn ? dn : "(no dn)");
                g_free(dn);
            }
        }
        msm_ldif_change_reader_free(r);
        if (err) {
            cli_error(verb, err);
            goto out;
        }
        if (common.json)
            printf("{\"mode\": \"preview\", \"records\": %" G_GUINT64_FORMAT "}\n", n);
        else
            printf("preview: %" G_GUINT64_FORMAT " change record(s) in %s; nothing was "
                   "changed; --apply applies them\n",
                   n, input);
        rc = MSM_EXIT_OK;
        goto out;
    }
    MsmDirmigApplyReport rep = {0};
    gboolean ok = msm_dirmig_apply_ldif(&lp, input, rej, add, !stop,
                                        (guint)(threads > 0 ? threads : 2) * 32, &rep, &err);
    if (common.json) {
        MsmJson *j = msm_json_new(TRUE);
        msm_json_begin_object(j);
        msm_json_kv_string(j, "input", input);
        msm_json_kv_string(j, "result", ok ? "done" : "failed");
        msm_json_kv_int(j, "records", (gint64)rep.records);
        msm_json_kv_int(j, "applied", (gint64)rep.applied);
        msm_json_kv_int(j, "rejected", (gint64)rep.rejected);
        msm_json_kv_string(j, "rejects", rej);
        msm_json_kv_string(j, "error", ok ? NULL : err->message);
        msm_json_end_object(j);
        char *s = msm_json_finish(j);
        fputs(s, stdout);
        g_free(s);
    } else {
        printf("%s: %" G_GUINT64_FORMAT " record(s), %" G_GUINT64_FORMAT " applied, %" G_GUINT64_FORMAT
               " rejected%s%s\n",
               input, rep.records, rep.applied, rep.rejected, rep.rejected ? " (see " : "",
               rep.rejected ? rej : "");
        if (rep.rejected)
            printf(")\n");
    }
    if (!ok) {
        cli_error(verb, err);
        rc = exit_code_for(err);
    } else {
        rc = rep.rejected ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
    }
out:
    g_clear_error(&err);
    g_free(input);
    g_free(rej);
    g_free(run);
    g_free(rejects);
    conn_clear(&co);
    cli_common_clear(&common);
    return rc;
}

static int
directory_undo(int argc, char **argv)
{
    return apply_verb(argc, argv, "directory undo", TRUE);
}

static int
directory_import(int argc, char **argv)
{
    return apply_verb(argc, argv, "directory import", FALSE);
}

/* ---- find-stale ---- */

static int
directory_find_stale(int argc, char **argv)
{
    CliCommon common = {0};
    ConnOpts co = {0};
    char *old_host = NULL, *new_host = NULL, *out = NULL;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    char *fix = NULL;
    const GOptionEntry entries[] = {
        CONN_ENTRIES(co),
        {"old-host", 0, 0, G_OPTION_ARG_STRING, &old_host, "The mail host being left", "HOST"},
        {"new-host", 0, 0, G_OPTION_ARG_STRING, &new_host, "The new mail host (for the fix)",
         "HOST"},
        {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
         "Write the fix LDIF here (default: TARGET/.msmigrate/find-stale.ldif)", "FILE"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "directory find-stale", "",
                   "List the domains whose preferredMailHost or mailRoutingHosts still name the "
                   "old host, print the fix as LDIF and apply it with --apply. Exit 2 when "
                   "stale domains remain.",
                   entries, &common))
        goto out;
    MsmLdapParams lp;
    if (!conn_params("directory find-stale", &co, &common, &lp))
        goto out;
    if (old_host == NULL) {
        fprintf(stderr, "msmigrate: directory find-stale: give --old-host HOST\n");
        goto out;
    }
    if (co.apply && new_host == NULL) {
        fprintf(stderr, "msmigrate: directory find-stale: --apply needs --new-host HOST\n");
        goto out;
    }
    const char *target = conn_target(&co);
    if (out) {
        fix = g_strdup(out);
    } else {
        char *sd = g_build_filename(target, ".msmigrate", NULL);
        if (!msm_mkdir_p(sd, TRUE, &err)) {
            g_free(sd);
            cli_error("directory find-stale", err);
            goto out;
        }
        fix = g_build_filename(sd, "find-stale.ldif", NULL);
        g_free(sd);
    }
    guint64 found = 0;
    if (!msm_dirmig_find_stale(&lp, conn_base(&co), old_host, new_host, fix, &found, &err)) {
        cli_error("directory find-stale", err);
        goto out;
    }
    char *text = NULL;
    g_file_get_contents(fix, &text, NULL, NULL);
    MsmDirmigApplyReport rep = {0};
    gboolean applied = FALSE;
    if (co.apply && found) {
        char *rej = g_strdup_printf("%s.rejects", fix);
        gboolean ok = msm_dirmig_apply_ldif(&lp, fix, rej, FALSE, TRUE, 64, &rep, &err);
        g_free(rej);
        if (!ok) {
            g_free(text);
            cli_error("directory find-stale", err);
            goto out;
        }
        applied = TRUE;
    }
    if (common.json) {
        MsmJson *j = msm_json_new(TRUE);
        msm_json_begin_object(j);
        msm_json_kv_int(j, "stale", (gint64)found);
        msm_json_kv_string(j, "fix_ldif", fix);
        msm_json_kv_bool(j, "applied", applied);
        msm_json_kv_int(j, "rejected", (gint64)rep.rejected);
        msm_json_end_object(j);
        char *s = msm_json_finish(j);
        fputs(s, stdout);
        g_free(s);
    } else {
        if (found && text)
            fputs(text, stdout);
        printf("# %" G_GUINT64_FORMAT " domain(s) still name %s%s%s\n", found, old_host,
               applied ? "; fix applied" : found ? "; fix written to " : "",
               applied ? "" : found ? fix : "");
    }
    g_free(text);
    rc = (found == 0 || (applied && rep.rejected == 0)) ? MSM_EXIT_OK : MSM_EXIT_SKIPPED;
out:
    g_clear_error(&err);
    g_free(fix);
    g_free(old_host);
    g_free(new_host);
    g_free(out);
    conn_clear(&co);
    cli_common_clear(&common);
    return rc;
}

/* ---- aci ---- */

static int
directory_aci(int argc, char **argv)
{
    CliCommon common = {0};
    ConnOpts co = {0};
    char *org_root = NULL, *domain = NULL, *out = NULL;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    char *ldif = NULL, *path = NULL;
    const GOptionEntry entries[] = {
        CONN_ENTRIES(co),
        {"org-root", 0, 0, G_OPTION_ARG_STRING, &org_root, "Organization tree root (o=isp)",
         "DN"},
        {"domain", 'd', 0, G_OPTION_ARG_STRING, &domain, "The hosted domain", "DOMAIN"},
        {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write the ACI LDIF here", "FILE"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "directory aci", "",
                   "Write the delegated-admin ACI LDIF imsdaaci generated for a hosted domain "
                   "(docs/formats/directory-aci.md); --apply adds it to the server.",
                   entries, &common))
        goto out;
    MsmLdapParams lp;
    if (!conn_params("directory aci", &co, &common, &lp))
        goto out;
    if (org_root == NULL || domain == NULL) {
        fprintf(stderr, "msmigrate: directory aci: give --org-root DN and --domain DOMAIN\n");
        goto out;
    }
    ldif = msm_dirmig_aci_ldif(org_root, domain, &err);
    if (ldif == NULL) {
        cli_error("directory aci", err);
        goto out;
    }
    if (out) {
        path = g_strdup(out);
    } else if (co.apply) {
        char *sd = g_build_filename(conn_target(&co), ".msmigrate", NULL);
        if (!msm_mkdir_p(sd, TRUE, &err)) {
            g_free(sd);
            cli_error("directory aci", err);
            goto out;
        }
        char *name = g_strdup_printf("aci-%s.ldif", domain);
        path = g_build_filename(sd, name, NULL);
        g_free(name);
        g_free(sd);
    }
    if (path && !msm_write_file_atomic(path, ldif, strlen(ldif), 0600, &err)) {
        cli_error("directory aci", err);
        goto out;
    }
    if (!co.apply) {
        if (out == NULL)
            fputs(ldif, stdout);
        rc = MSM_EXIT_OK;
        goto out;
    }
    MsmDirmigApplyReport rep = {0};
    char *rej = g_strdup_printf("%s.rejects", path);
    gboolean ok = msm_dirmig_apply_ldif(&lp, path, rej, FALSE, TRUE, 64, &rep, &err);
    if (!ok) {
        cli_error("directory aci", err);
        g_free(rej);
        goto out;
    }
    printf("%s: %" G_GUINT64_FORMAT " record(s), %" G_GUINT64_FORMAT " applied, %" G_GUINT64_FORMAT
           " rejected%s%s\n",
           path, rep.records, rep.applied, rep.rejected, rep.rejected ? ": see " : "",
           rep.rejected ? rej : "");
    g_free(rej);
    rc = rep.rejected ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
out:
    g_clear_error(&err);
    g_free(ldif);
    g_free(path);
    g_free(org_root);
    g_free(domain);
    g_free(out);
    conn_clear(&co);
    cli_common_clear(&common);
    return rc;
}

/* ---- export ---- */

typedef struct {
    MsmLdifWriter *w;
} ExportState;

static gboolean
export_entry(MsmEntry *entry, gpointer user_data, GError **error)
{
    ExportState *st = user_data;
    gboolean ok = msm_ldif_writer_put(st->w, entry, error);
    msm_entry_free(entry);
    return ok;
}

/* `directory export`: the entries under a base DN as LDIF, read with paged results
 * (db2ldif over LDAP). For the offline mode, and for the NMS 4.x configuration
 * held in the configuration directory: `--base o=NetscapeRoot netscaperoot.ldif`
 * gives the file docs/formats/conf-nsmsgcfg-ldif.md parses. */
static int
directory_export(int argc, char **argv)
{
    CliCommon common = {0};
    ConnOpts co = {0};
    char *filter = NULL;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    MsmLdapConn *conn = NULL;
    ExportState st = {0};
    const GOptionEntry entries[] = {
        CONN_ENTRIES(co),
        {"filter", 'F', 0, G_OPTION_ARG_STRING, &filter,
         "Only the entries matching this RFC 4515 filter (default: all)", "FILTER"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "directory export", "OUT.ldif",
                   "Write the entries under --base to OUT.ldif (mode 0600), read from the "
                   "server with paged results: what db2ldif gives, over LDAP. The NMS 4.x "
                   "configuration directory (--base o=NetscapeRoot) exported to "
                   "netscaperoot.ldif is read by the nsmsgcfg.ldif parser.",
                   entries, &common))
        goto out;
    if (argc != 2) {
        fprintf(stderr, "msmigrate: directory export: name one output file\n");
        goto out;
    }
    MsmLdapParams lp;
    if (!conn_params("directory export", &co, &common, &lp))
        goto out;
    if (lp.uri == NULL || conn_base(&co) == NULL) {
        fprintf(stderr, "msmigrate: directory export: give --uri and --base (or [directory] "
                        "uri and base_dn in the profile)\n");
        goto out;
    }
    conn = msm_ldap_connect(&lp, &err);
    if (conn == NULL)
        goto fail;
    st.w = msm_ldif_writer_open(argv[1], 0600, &err);
    if (st.w == NULL)
        goto fail;
    char *comment = g_strdup_printf("exported from %s base %s by msmigrate directory export",
                                    msm_ldap_uri(conn), conn_base(&co));
    gboolean ok = msm_ldif_writer_comment(st.w, comment, &err);
    g_free(comment);
    guint64 n = 0;
    ok = ok && msm_ldap_search(conn, conn_base(&co), MSM_LDAP_SCOPE_SUB, filter, 0, export_entry,
                               &st, &n, &err);
    gboolean cok = msm_ldif_writer_close(st.w, ok ? &err : NULL);
    st.w = NULL;
    if (!ok || !cok)
        goto fail;
    if (common.json)
        printf("{\"entries\":%" G_GUINT64_FORMAT ",\"out\":\"%s\"}\n", n, argv[1]);
    else
        printf("%" G_GUINT64_FORMAT " entries written to %s\n", n, argv[1]);
    rc = MSM_EXIT_OK;
    goto out;
fail:
    cli_error("directory export", err);
out:
    if (st.w)
        msm_ldif_writer_close(st.w, NULL);
    msm_ldap_close(conn);
    g_clear_error(&err);
    g_free(filter);
    conn_clear(&co);
    cli_common_clear(&common);
    return rc;
}

int
cli_directory(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
        const char *summary;
    } sub[] = {
        {"migrate", directory_migrate, "imsdirmig / commdirmig: migrate entries (preview default)"},
        {"undo", directory_undo, "apply a run's undo LDIF (ldapmodify -c)"},
        {"import", directory_import, "import a change LDIF such as ugdir_diff.ldif (ldapmodify -c)"},
        {"find-stale", directory_find_stale, "domains still naming the old mail host, and the fix"},
        {"aci", directory_aci, "the delegated-admin ACI LDIF (imsdaaci)"},
        {"export", directory_export, "the entries under a base DN as LDIF (db2ldif over LDAP)"},
    };
    if (argc >= 2)
        for (gsize i = 0; i < G_N_ELEMENTS(sub); i++)
            if (strcmp(argv[1], sub[i].name) == 0)
                return sub[i].fn(argc - 1, argv + 1);
    FILE *o = (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0))
                  ? stdout
                  : stderr;
    fprintf(o, "Usage: msmigrate directory SUBCOMMAND [OPTIONS]\n");
    for (gsize i = 0; i < G_N_ELEMENTS(sub); i++)
        fprintf(o, "  %-11s %s\n", sub[i].name, sub[i].summary);
    fprintf(o, "'msmigrate directory SUBCOMMAND --help' shows the options.\n");
    return o == stdout ? MSM_EXIT_OK : MSM_EXIT_FAILED;
}
