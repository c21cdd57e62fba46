/*
 * NAME
 *	restore.h - imbackup -> imsrestore semantics for the sims-4.0 -> ims-5.2 hop
 * SUMMARY
 *	What the SIMS migration (seed 003) does with `imbackup -f- -u users |
 *	imsrestore -f- -cy -n -v1`, as library calls:
 *	- the rename map: "oldname=newname" lines (`anderson=Anderson`), loaded
 *	  from a file or built from a directory LDIF's uid values (a uid with
 *	  upper case letters maps its lowercase SIMS store name to itself);
 *	- folder names that are not valid modified UTF-7: every character
 *	  that is not validly encoded becomes a blank (imsrestore's default),
 *	  or with -n (distinct) stays distinct: the byte is taken as ISO-8859-1
 *	  and a name that still collides gets " (2)", " (3)" ... appended;
 *	- a restore that reads one imbackup stream and writes every folder
 *	  through a target store codec, offline, and batches that run several
 *	  backup | restore streams at once (one per user file, 10 to 15 is the
 *	  seed's advice).
 * OWNERSHIP
 *	Strings, maps and stats are (transfer full) unless marked; the
 *	options are (transfer none), read only.
 * ERRORS
 *	MSM_ERROR_PARSE naming the map or LDIF file and line; MSM_ERROR_UNSAFE
 *	for a rename target that is not a safe user name; errors of the stream
 *	reader and of the target codec prefixed with the user and folder.
 *	Per-folder failures are counted in the stats and logged, and the
 *	restore goes on (imsrestore -c y); the call returns FALSE only when
 *	the stream or the target cannot be used at all.
 */
#ifndef MSM_SIMS40_RESTORE_H
#define MSM_SIMS40_RESTORE_H

#include <msmigrate/msmigrate.h>
#include <stdio.h>

/* Loads "old=new" lines (blank lines and '#' comments skipped) into map
 * (old -> new, both strings). Creates the map when *map is NULL. */
gboolean sims40_rename_map_load(const char *path, GHashTable **map, GError **error);
/* Adds lowercase(uid) -> uid for every uid value with upper case letters in
 * the LDIF file (entries of a directory export). */
gboolean sims40_rename_map_from_ldif(const char *path, GHashTable **map, GError **error);

/* A SIMS folder name (raw bytes) as the restore writes it (UTF-8).
 * distinct = FALSE: imsrestore's blanks; TRUE: -n. (transfer full) */
char *sims40_fix_folder_name(const char *raw, gboolean distinct);

/* Per-owner bookkeeping of names already given, for the " (N)" suffix of
 * -n and the collision check without it. (transfer full) */
typedef struct Sims40NameSet Sims40NameSet;
Sims40NameSet *sims40_name_set_new(void);
void sims40_name_set_free(Sims40NameSet *s);
/* The UTF-8 name for raw within owner (reset when owner changes). Without
 * distinct, a collision returns NULL with MSM_ERROR_FAILED naming both raw
 * names and advising -n. (transfer full) */
char *sims40_name_set_assign(Sims40NameSet *s, const char *owner, const char *raw,
                             gboolean distinct, GError **error);

typedef struct {
    GHashTable *rename;         /* old -> new user names, or NULL */
    gboolean distinct;          /* -n */
    gboolean continue_on_error; /* -c y */
    guint verbose;              /* -v 0|1|2: 1 = one line per folder to log */
    FILE *log;                  /* where -v writes (NULL = no log) */
} Sims40RestoreOptions;

typedef struct {
    guint64 folders, messages, bytes, failed;
} Sims40RestoreStats;

/* Reads the imbackup stream from fd to its end and puts every folder into
 * writer (opened from codec by the caller). lock serialises writer_put
 * when the codec is not thread-safe and several restores share it (NULL
 * when alone). */
gboolean sims40_restore_stream(int fd, const MsmCodec *codec, gpointer writer, GMutex *lock,
                               const Sims40RestoreOptions *opts, Sims40RestoreStats *stats,
                               GError **error);

/* Runs one `imbackup -u file | imsrestore` pipeline per user file, at most
 * concurrency at a time (each a pair of threads joined by a pipe), from the
 * SIMS store at source_root into writer. user_files NULL-terminated; a
 * NULL or empty list backs up every user in one stream. */
gboolean sims40_restore_batches(const char *source_root, const char *const *user_files,
                                guint concurrency, const MsmCodec *codec, gpointer writer,
                                const Sims40RestoreOptions *opts, Sims40RestoreStats *stats,
                                GError **error);

/* The store migrator of the sims-4.0 -> ims-5.2 hop (for the hop table's
 * .store): renames owners with the map of the run's options
 * `[sims40] rename_map = FILE` (oldname=newname lines) and
 * `[sims40] rename_ldif = FILE` (a directory export's uids), also in ACL
 * identifiers and the item key ("user/<new>/<folder>"). Folder names are
 * already UTF-8 (the sims-store codec applies the -n rule). (transfer none) */
extern const MsmStoreMigrator sims40_store_40_52;

#endif
