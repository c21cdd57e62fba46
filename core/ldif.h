/*
 * NAME
 *	ldif.h - RFC 2849 LDIF content records: writer and streaming reader
 * SUMMARY
 *	The writer turns MsmEntry values into LDIF content records ("dn:" then
 *	the attributes in the entry's order, values that are not SAFE-STRING
 *	as "::" BASE64, lines folded at 76 columns, "version: 1" first). The
 *	reader yields one MsmEntry per record from a file without ever holding
 *	more than one record in memory. Conventions: docs/formats/ldif.md.
 * OWNERSHIP
 *	Writers and readers are (transfer full) and freed by
 *	msm_ldif_writer_close() / msm_ldif_reader_free(). A FILE* or GString
 *	passed in is borrowed: it must outlive the writer/reader and is not
 *	closed by it. Entries returned by the reader are (transfer full).
 * ERRORS
 *	Writer: MSM_ERROR_INVALID_ARGUMENT for an attribute name that is not an
 *	RFC 2849 AttributeDescription (naming the entry and the attribute);
 *	MSM_ERROR_IO for a failed write, naming the output. Reader:
 *	MSM_ERROR_NOT_FOUND / MSM_ERROR_IO when the file cannot be opened or
 *	read, naming it; MSM_ERROR_PARSE
 *	"FILE:LINE: what is wrong; how to fix it" for malformed input, including
 *	change records (changetype:/control:), which a content reader refuses.
 */
#ifndef MSM_CORE_LDIF_H
#define MSM_CORE_LDIF_H

#include <msmigrate/msmigrate.h>

#include <stdio.h>

/* Physical line length the writer folds at (RFC 2849 note 2 recommends <= 76). */
#define MSM_LDIF_FOLD_COLUMN 76

/* ---- helpers (no state) ---- */

/* TRUE if value can be written as "name: value": a SAFE-STRING (RFC 2849) of
 * US-ASCII without NUL, CR or LF, not starting with space, ':' or '<', and not
 * ending with a space (RFC 2849 note 8: such values SHOULD be BASE64). */
gboolean msm_ldif_value_is_safe(const void *value, gsize len);

/* TRUE if name is an RFC 2849 AttributeDescription ("cn", "cn;lang-ja",
 * "2.5.4.3", "userCertificate;binary"). */
gboolean msm_ldif_attr_name_is_valid(const char *name);

/* Appends one attribute line, "name: value" or "name:: BASE64", folded at
 * MSM_LDIF_FOLD_COLUMN, ending with "\n". name must be valid (not checked). */
void msm_ldif_append_value(GString *out, const char *name, const void *value, gsize len);

/* The record of entry (dn line, attribute lines, no "version:" line and no
 * trailing blank line). (transfer full) NULL with MSM_ERROR_INVALID_ARGUMENT
 * when an attribute name is invalid. */
char *msm_ldif_entry_to_string(const MsmEntry *entry, GError **error);

/* ---- writer ---- */

typedef struct MsmLdifWriter MsmLdifWriter;

/* A writer over fp (borrowed, left open). name (copied) is used in error
 * messages, e.g. the path fp was opened from. (transfer full) */
MsmLdifWriter *msm_ldif_writer_new_file(FILE *fp, const char *name);

/* A writer appending to out (borrowed). (transfer full) */
MsmLdifWriter *msm_ldif_writer_new_string(GString *out);

/* Creates (or truncates) path with the given permission bits and writes to it;
 * msm_ldif_writer_close() syncs and closes it. Does not follow a final symlink.
 * (transfer full) NULL with MSM_ERROR_IO naming path. */
MsmLdifWriter *msm_ldif_writer_open(const char *path, guint mode, GError **error);

/* Writes "# text" comment lines (one per line of text), after "version: 1". */
gboolean msm_ldif_writer_comment(MsmLdifWriter *w, const char *text, GError **error);

/* Writes one content record (preceded by the blank separator line). */
gboolean msm_ldif_writer_put(MsmLdifWriter *w, const MsmEntry *entry, GError **error);

/* Records written so far. */
guint64 msm_ldif_writer_count(const MsmLdifWriter *w);

/* Flushes (and for msm_ldif_writer_open(): fsyncs and closes the file), then
 * frees w, also on failure. A writer that wrote nothing still writes
 * "version: 1" so the output is a valid empty LDIF file. */
gboolean msm_ldif_writer_close(MsmLdifWriter *w, GError **error);

/* ---- reader ---- */

typedef struct MsmLdifReader MsmLdifReader;

/* Opens path for reading. (transfer full) NULL with MSM_ERROR_NOT_FOUND (no such
 * file) or MSM_ERROR_IO, naming path. */
MsmLdifReader *msm_ldif_reader_open(const char *path, GError **error);

/* A reader over fp (borrowed, left open); name (copied) appears in error
 * messages as the file name. (transfer full) */
MsmLdifReader *msm_ldif_reader_new_file(FILE *fp, const char *name);

/* Reads the next record into *entry_r (transfer full), or NULL at the end of
 * the input. FALSE with *error set on malformed input; the reader cannot go on
 * after an error. */
gboolean msm_ldif_reader_next(MsmLdifReader *r, MsmEntry **entry_r, GError **error);

/* Line number (1-based) of the "dn:" line of the record last returned, 0 before. */
guint64 msm_ldif_reader_entry_line(const MsmLdifReader *r);

/* Closes the file when opened by msm_ldif_reader_open() and frees r. */
void msm_ldif_reader_free(MsmLdifReader *r);

#endif
