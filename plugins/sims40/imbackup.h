/*
 * NAME
 *	imbackup.h - the SIMS imbackup stream (docs/formats/imbackup-stream.md)
 * SUMMARY
 *	sims40_imbackup() writes what `imbackup -f- [-u users] [-d date]`
 *	wrote: a serial stream of owners, folders (raw names as SIMS kept
 *	them), folder attributes, ACLs and messages with flags, keywords,
 *	internal dates and exact body bytes, ended by a trailer with counts.
 *	Sims40BackupReader reads such a stream back one folder at a time; a
 *	folder's messages stream from it and must be read (or abandoned)
 *	before the next folder is asked for. Nothing is held in memory beyond
 *	one line and one read buffer.
 * OWNERSHIP
 *	The reader is (transfer full), freed with sims40_backup_reader_free();
 *	it does not close the fd. Folders and names returned are (transfer
 *	full); a folder's message iterator and bodies borrow the reader and
 *	must not be used after the next call or after it is freed.
 * ERRORS
 *	MSM_ERROR_PARSE naming the stream offset and what was expected (a
 *	damaged or truncated stream, a trailer whose counts disagree);
 *	MSM_ERROR_IO for write/read failures; errors of the store reader.
 */
#ifndef MSM_SIMS40_IMBACKUP_H
#define MSM_SIMS40_IMBACKUP_H

#include <msmigrate/msmigrate.h>
#include <stdio.h>

typedef struct {
    gint64 since;           /* -d: only messages with an internal date >= since (0 = all) */
    guint blocking;         /* -b: write in blocks of 512 x blocking bytes (0 = 20) */
    gboolean stop_on_error; /* without it (default) damaged entries are logged and skipped */
    FILE *log;              /* where skipped entries are reported (NULL = nowhere) */
} Sims40BackupOptions;

/* Reads a users file (-u): one user per line, blank lines and '#' comments
 * skipped. (transfer full: char*) */
GPtrArray *sims40_users_file_load(const char *path, GError **error);

/* Writes the stream of the SIMS store at root (users NULL = all) to fd.
 * folders_r / messages_r may be NULL. */
gboolean sims40_imbackup(const char *root, const char *const *users, int fd,
                         const Sims40BackupOptions *opts, guint64 *folders_r, guint64 *messages_r,
                         GError **error);

typedef struct Sims40BackupReader Sims40BackupReader;
Sims40BackupReader *sims40_backup_reader_new(int fd);
/* Next folder (transfer full) and its raw name (transfer full); *f_r NULL
 * at the trailer (counts checked). */
gboolean sims40_backup_reader_next(Sims40BackupReader *r, MsmFolder **f_r, char **raw_name_r,
                                   GError **error);
void sims40_backup_reader_free(Sims40BackupReader *r);

#endif
