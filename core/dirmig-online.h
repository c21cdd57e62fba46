/*
 * NAME
 *	dirmig-online.h - the online directory migrator (imsdirmig / commdirmig
 *	against a live server), undo, ugdir_diff.ldif import and find-stale
 * SUMMARY
 *	msm_dirmig_online() reads the tree under a base DN with paged results
 *	(domains in a first pass, then users and groups), maps each selected
 *	entry with msm_dirmap_entry() and turns the difference into one LDIF
 *	"changetype: modify" record per entry (msm_entry_diff_ldif). Preview (the
 *	default) only writes the audit LDIF; applying also writes the undo LDIF
 *	(each record written and flushed before its modify is sent), sends the
 *	modifies pipelined (MsmLdapWriter), writes failures with the server's
 *	message to the reject LDIF, and journals every entry (the project's
 *	journal, in <target>/.msmigrate/runs/<id>/, as the engine does), so a
 *	run interrupted by a killed process or a killed server resumes with
 *	every entry migrated exactly once and every audit/undo record written
 *	once. An error budget stops a run that fails everywhere.
 *	msm_dirmig_apply_ldif() applies a change LDIF with ldapmodify -c
 *	semantics (undo, ugdir_diff.ldif import, find-stale fixes, ACI LDIF).
 *	Formats: docs/directory.md, docs/formats/run-directory.md.
 * OWNERSHIP
 *	Options are borrowed. Reports own their strings: clear them with
 *	msm_dirmig_online_report_clear(). Returned strings are (transfer full).
 * ERRORS
 *	MSM_ERROR_LOCKED when another run holds the deployment lock (apply takes
 *	<target>/.msmigrate/lock, lock.md), MSM_ERROR_IO for a lost or unreachable server (the message says to
 *	restart it and resume RUN), MSM_ERROR_FAILED when the error budget is
 *	exceeded (naming the count and the reject file), MSM_ERROR_NOT_FOUND
 *	for an unknown run id or base DN, MSM_ERROR_JOURNAL for the journal.
 *	Per-entry failures are not errors: they are counted, journalled and
 *	written to the reject LDIF.
 */
#ifndef MSM_CORE_DIRMIG_ONLINE_H
#define MSM_CORE_DIRMIG_ONLINE_H

#include "dirmap.h"
#include "ldapconn.h"

/* A mapping step in place of msm_dirmap_entry() (same contract), e.g. the
 * directory transforms of a chain of hops composed by the engine. */
typedef MsmResult (*MsmDirmigMapFunc)(MsmEntry *entry, char **reason_r, gpointer user_data,
                                      GError **error);

typedef struct {
    const MsmDirmigOptions *map; /* what to migrate and how (dirmap.h); classification,
                                  * -m and -F always come from here */
    MsmDirmigMapFunc map_func;   /* NULL: msm_dirmap_entry(map, ...) */
    gpointer map_data;           /* for map_func */
    MsmLdapParams ldap;          /* server, TLS, bind */
    const char *base;            /* -b: where entry fetching starts */
    const char *const *more_bases; /* further trees (NULL-terminated) or NULL: commdirmig
                                    * reads the DC tree and the organization tree */
    gboolean apply;              /* FALSE: preview (nothing changed on the server) */
    gboolean continue_on_error;  /* -c */
    guint64 max_errors;          /* stop after this many failures (0: 1 without -c, 1000 with) */
    guint max_error_percent;     /* stop when more than this % fail (0: 50), after 20 entries */
    guint window;                /* outstanding modifies (0: 64); -T n gives 32*n */
    guint page_size;             /* paged results page size (0: 500) */
    const char *target_root;     /* run directories go to <target_root>/.msmigrate/runs */
    const char *resume_id;       /* continue this run, or NULL for a new one */
    gboolean break_lock;         /* replace a stale deployment lock (apply takes the lock) */
    const char *argv_record;     /* stored in the journal meta "argv" (no secrets) */
    gboolean quiet;              /* no progress lines on stderr */
} MsmDirmigOnlineOptions;

typedef struct {
    char *run_id;
    char *work_dir;
    char *audit_path, *undo_path, *reject_path; /* NULL when not written */
    guint64 read;      /* entries read from the server */
    guint64 selected;  /* entries of the selected kinds (and -F filter) */
    guint64 changed;   /* entries with a modify (previewed or applied) */
    guint64 unchanged; /* selected entries the mapping left as they were */
    guint64 skipped;   /* deliberately not migrated (reason in the journal/report) */
    guint64 applied;   /* modifies the server accepted */
    guint64 failed;    /* mapping errors and modifies the server refused */
    guint64 resumed;   /* entries already done by the run being resumed */
    gboolean budget_exceeded;
    gboolean interrupted; /* the server was lost: resume */
} MsmDirmigOnlineReport;

void msm_dirmig_online_report_clear(MsmDirmigOnlineReport *rep);

/* Runs (or resumes) a migration. FALSE on a fatal error; rep is filled as far
 * as the run went in either case. */
gboolean msm_dirmig_online(const MsmDirmigOnlineOptions *opt, MsmDirmigOnlineReport *rep,
                           GError **error);

/* Reads a stored option from a run's journal meta (e.g. "argv"). (transfer full)
 * NULL with MSM_ERROR_NOT_FOUND for an unknown run. */
char *msm_dirmig_run_meta(const char *target_root, const char *run_id, const char *key,
                          GError **error);

typedef struct {
    guint64 records;  /* change records read */
    guint64 applied;  /* accepted by the server */
    guint64 rejected; /* refused: written to the rejects file with the message */
} MsmDirmigApplyReport;

/* Applies the change records of ldif_path (ldapmodify semantics; records
 * without changetype are adds when default_add, like ldapmodify -a) to the
 * server of ldap, window operations in flight. A refused record goes to
 * reject_path (when not NULL) preceded by "# error: <code> <message>"; the
 * run continues (-c) when continue_on_error, else stops at the first
 * refusal (MSM_ERROR_FAILED). */
gboolean msm_dirmig_apply_ldif(const MsmLdapParams *ldap, const char *ldif_path,
                               const char *reject_path, gboolean default_add,
                               gboolean continue_on_error, guint window,
                               MsmDirmigApplyReport *rep, GError **error);

/* find-stale: domains under base (objectClass inetDomain, mailDomain or
 * sunManagedOrganization) whose preferredMailHost or mailRoutingHosts name
 * old_host. Writes to fix_ldif (a change LDIF replacing old_host by new_host,
 * one record per domain) and returns the number found in *found_r. */
gboolean msm_dirmig_find_stale(const MsmLdapParams *ldap, const char *base, const char *old_host,
                               const char *new_host, const char *fix_ldif, guint64 *found_r,
                               GError **error);

#endif
