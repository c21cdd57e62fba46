/*
 * NAME
 *	codec-sims-store.h - the SIMS 4.0 single-instance store (sims40 plugin)
 * SUMMARY
 *	sims40_store_codec() reads and writes the model of
 *	docs/formats/store-sims.md below var/opt/SUNWmail/ims: user/<user>
 *	owner records, index/<user>/<id>.fld folder records and <id>.idx
 *	message indexes, data/<h1>/<h2>/<sha256> message bodies stored once
 *	whoever received them, and the hash/, adm/, shared/ directories.
 *	The raw reader below gives folder names exactly as SIMS stored them
 *	(they may not be valid modified UTF-7), for imbackup (imbackup.h);
 *	the codec's reader turns them into UTF-8 with sims40_fix_folder_name()
 *	keeping distinct names distinct (restore.h).
 * OWNERSHIP
 *	The codec is static (transfer none); the raw reader is (transfer full)
 *	and freed with sims40_store_raw_close(); folders and names it returns
 *	are (transfer full).
 * ERRORS
 *	MSM_ERROR_NOT_FOUND (no SIMS store), MSM_ERROR_PARSE (a record or
 *	index line off the model: file and line named), MSM_ERROR_UNSAFE (a
 *	link or an unsafe user name, reported per entry), MSM_ERROR_IO.
 */
#ifndef MSM_SIMS40_CODEC_SIMS_STORE_H
#define MSM_SIMS40_CODEC_SIMS_STORE_H

#include <msmigrate/msmigrate.h>

const MsmCodec *sims40_store_codec(void);

typedef struct Sims40RawReader Sims40RawReader;

/* Opens the SIMS store of the deployment at root; users (NULL = every
 * user, in byte order) limits and orders the users read. */
Sims40RawReader *sims40_store_raw_open(const char *root, const char *const *users, GError **error);
/* Next folder (transfer full) with its raw on-disk name in *raw_name_r
 * (transfer full; f->name is a copy of it when it is valid UTF-8, else the
 * raw name with invalid bytes as U+FFFD). *f_r = NULL at the end. A FALSE
 * return with MSM_ERROR_PARSE/UNSAFE is one entry skipped: call again. */
gboolean sims40_store_raw_next(Sims40RawReader *r, MsmFolder **f_r, char **raw_name_r,
                               GError **error);
void sims40_store_raw_close(Sims40RawReader *r);

/* Writes one folder whose on-disk name is raw_name (bytes as SIMS keeps
 * them; NULL = the MUTF-7 encoding of f->name) at the store of root.
 * Used by the codec's writer and by tests that build hostile stores. */
gboolean sims40_store_put_raw(const char *root, MsmFolder *f, const char *raw_name, GError **error);

#endif
