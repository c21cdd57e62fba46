/*
 * NAME
 *	mutf7.h - IMAP modified UTF-7 folder names (RFC 3501 section 5.1.3)
 * SUMMARY
 *	Folder names travel in UTF-8 inside msmigrate (MsmFolder.name) and are
 *	stored on disk in modified UTF-7 by the products and by the Maildir++
 *	interchange (docs/formats/mutf7.md, domain facts §6). Encoding is
 *	canonical: printable US-ASCII except '&' stands for itself, '&' is
 *	"&-", every other run of characters is UTF-16 in modified BASE64
 *	(',' for '/', no '=' padding) between '&' and '-'. Decoding is strict
 *	and rejects what the RFC forbids, so a name that decodes also
 *	re-encodes to the same bytes.
 * OWNERSHIP
 *	Returned strings are (transfer full): g_free() them.
 * ERRORS
 *	msm_mutf7_encode(): MSM_ERROR_INVALID_ARGUMENT when the input is not
 *	valid UTF-8, naming the input with its bad bytes
 *	escaped. msm_mutf7_decode(): MSM_ERROR_PARSE naming the input, the
 *	byte offset and the rule broken.
 */
#ifndef MSM_CORE_MUTF7_H
#define MSM_CORE_MUTF7_H

#include <msmigrate/msmigrate.h>

/* UTF-8 name -> modified UTF-7 (transfer full), or NULL with *error set. */
char *msm_mutf7_encode(const char *utf8, GError **error);

/* Modified UTF-7 name -> UTF-8 (transfer full), or NULL with *error set.
 * Rejected: bytes outside printable US-ASCII; '&' runs without the closing
 * '-'; a run that starts right after another ended ("-&" null shift; "&-"
 * is the literal '&'); characters outside the modified BASE64 alphabet;
 * runs whose bit count is not a whole number of UTF-16 units or whose
 * padding bits are not zero; printable US-ASCII or U+0000 encoded in
 * BASE64; unpaired UTF-16 surrogates. */
char *msm_mutf7_decode(const char *mutf7, GError **error);

/* TRUE when name is valid modified UTF-7 (msm_mutf7_decode would succeed). */
gboolean msm_mutf7_is_valid(const char *name);

#endif
