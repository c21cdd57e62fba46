/*
 * NAME
 *	mutf7.c - IMAP modified UTF-7 encoder and strict decoder
 * SUMMARY
 *	Implements core/mutf7.h after RFC 3501 section 5.1.3 (domain facts §6,
 *	docs/formats/mutf7.md).
 * DESCRIPTION
 *	The encoder walks the UTF-8 input one character at a time. Printable
 *	US-ASCII (0x20-0x7e) other than '&' is copied, '&' becomes "&-", and
 *	each maximal run of other characters becomes '&', the modified BASE64
 *	of its UTF-16BE code units (characters above U+FFFF as surrogate
 *	pairs), and '-'. The output is the one canonical form, so names that
 *	compare equal in UTF-8 compare equal encoded.
 *
 *	The decoder accepts exactly the encoder's output language: it is the
 *	reverse of the encoder plus checks for everything the RFC forbids.
 * DIAGNOSTICS
 *	"invalid modified UTF-7 folder name \"NAME\" at byte N: REASON" with
 *	MSM_ERROR_PARSE; "folder name \"NAME\" is not valid UTF-8 ..." with
 *	MSM_ERROR_INVALID_ARGUMENT. NAME has control and 8-bit bytes escaped.
 */
#include "config.h"

#include "mutf7.h"

#include <string.h>

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* The 6-bit value of a modified BASE64 character, or -1. */
static int
b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == ',')
        return 63;
    return -1;
}

/* TRUE for the characters that represent themselves ('&' excepted). */
static gboolean
is_direct(gunichar c)
{
    return c >= 0x20 && c <= 0x7e && c != '&';
}

/* Flushes a run of UTF-16 units as '&' BASE64 '-'. */
static void
flush_run(GString *out, const guint16 *units, gsize n)
{
    if (n == 0)
        return;
    g_string_append_c(out, '&');
    guint32 bits = 0;
    int nbits = 0;
    for (gsize i = 0; i < n; i++) {
        bits = (bits << 16) | units[i];
        nbits += 16;
        while (nbits >= 6) {
            nbits -= 6;
            g_string_append_c(out, b64_alphabet[(bits >> nbits) & 0x3f]);
        }
        bits &= (1u << nbits) - 1;
    }
    if (nbits > 0)
        g_string_append_c(out, b64_alphabet[(bits << (6 - nbits)) & 0x3f]);
    g_string_append_c(out, '-');
}

/* The name with control, 8-bit and quote characters escaped, for messages. (transfer full) */
static char *
printable_name(const char *s)
{
    return g_strescape(s, NULL);
}

/* UTF-8 to canonical modified UTF-7. (transfer full) */
char *
msm_mutf7_encode(const char *utf8, GError **error)
{
    g_return_val_if_fail(utf8 != NULL, NULL);
    const char *bad = NULL;
    if (!g_utf8_validate(utf8, -1, &bad)) {
        char *p = printable_name(utf8);
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "folder name \"%s\" is not valid UTF-8 (bad byte at offset %u); convert "
                    "it from its legacy character set first",
                    p, (unsigned)(bad - utf8));
        g_free(p);
        return NULL;
    }
    GString *out = g_string_sized_new(strlen(utf8) + 8);
    GArray *run = g_array_new(FALSE, FALSE, sizeof(guint16));
    for (const char *p = utf8; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (is_direct(c) || c == '&') {
            flush_run(out, (const guint16 *)(void *)run->data, run->len);
            g_array_set_size(run, 0);
            if (c == '&')
                g_string_append(out, "&-");
            else
                g_string_append_c(out, (char)c);
            continue;
        }
        if (c >= 0x10000) {
            guint32 v = c - 0x10000;
            guint16 hi = (guint16)(0xd800 | (v >> 10));
            guint16 lo = (guint16)(0xdc00 | (v & 0x3ff));
            g_array_append_val(run, hi);
            g_array_append_val(run, lo);
        } else {
            guint16 u = (guint16)c;
            g_array_append_val(run, u);
        }
    }
    flush_run(out, (const guint16 *)(void *)run->data, run->len);
    g_array_unref(run);
    return g_string_free(out, FALSE);
}

/* Sets the decoder's error for name at offset. Returns NULL for tail calls. */
static char *
decode_fail(GError **error, const char *name, gsize offset, const char *reason)
{
    char *p = printable_name(name);
    g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                "invalid modified UTF-7 folder name \"%s\" at byte %" G_GSIZE_FORMAT
                ": %s (RFC 3501 section 5.1.3)",
                p, offset, reason);
    g_free(p);
    return NULL;
}

/* Strict modified UTF-7 to UTF-8. (transfer full) */
char *
msm_mutf7_decode(const char *mutf7, GError **error)
{
    g_return_val_if_fail(mutf7 != NULL, NULL);
    const char *s = mutf7;
    gsize len = strlen(s);
    GString *out = g_string_sized_new(len);
    gsize i = 0;
    gboolean just_closed = FALSE; /* the previous byte ended a BASE64 run */
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e) {
            g_string_free(out, TRUE);
            return decode_fail(error, mutf7, i,
                               "only printable US-ASCII may appear in a modified UTF-7 name");
        }
        if (c != '&') {
            g_string_append_c(out, (char)c);
            just_closed = FALSE;
            i++;
            continue;
        }
        if (i + 1 < len && s[i + 1] == '-') {
            g_string_append_c(out, '&');
            just_closed = FALSE;
            i += 2;
            continue;
        }
        if (just_closed) {
            g_string_free(out, TRUE);
            return decode_fail(error, mutf7, i,
                               "a BASE64 run starts right after another ended (null shift "
                               "\"-&\"); the two runs must be one");
        }
        /* A BASE64 run: '&' b64+ '-' */
        gsize start = i;
        i++;
        guint32 bits = 0;
        int nbits = 0;
        guint16 pending_hi = 0;
        gsize units = 0;
        while (i < len && s[i] != '-') {
            int v = b64_value((unsigned char)s[i]);
            if (v < 0) {
                g_string_free(out, TRUE);
                return decode_fail(error, mutf7, i,
                                   (unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e
                                       ? "only printable US-ASCII may appear in a modified "
                                         "UTF-7 name"
                                       : "character outside the modified BASE64 alphabet "
                                         "inside a '&' run (or a missing '-')");
            }
            bits = (bits << 6) | (guint32)v;
            nbits += 6;
            if (nbits >= 16) {
                nbits -= 16;
                guint16 u = (guint16)((bits >> nbits) & 0xffff);
                bits &= (1u << nbits) - 1;
                units++;
                if (pending_hi != 0) {
                    if (u < 0xdc00 || u > 0xdfff) {
                        g_string_free(out, TRUE);
                        return decode_fail(error, mutf7, i,
                                           "UTF-16 high surrogate not followed by a low "
                                           "surrogate");
                    }
                    gunichar cp =
                        0x10000 + (((gunichar)pending_hi - 0xd800) << 10) + ((gunichar)u - 0xdc00);
                    g_string_append_unichar(out, cp);
                    pending_hi = 0;
                } else if (u >= 0xd800 && u <= 0xdbff) {
                    pending_hi = u;
                } else if (u >= 0xdc00 && u <= 0xdfff) {
                    g_string_free(out, TRUE);
                    return decode_fail(error, mutf7, i,
                                       "UTF-16 low surrogate without a high surrogate");
                } else if (u == 0) {
                    g_string_free(out, TRUE);
                    return decode_fail(error, mutf7, i, "U+0000 encoded in a folder name");
                } else if (u >= 0x20 && u <= 0x7e) {
                    g_string_free(out, TRUE);
                    return decode_fail(error, mutf7, i,
                                       "printable US-ASCII encoded in BASE64 (it must stand "
                                       "for itself; '&' is written \"&-\")");
                } else {
                    g_string_append_unichar(out, u);
                }
            }
            i++;
        }
        if (i >= len) {
            g_string_free(out, TRUE);
            return decode_fail(error, mutf7, start,
                               "'&' run not terminated by '-' before the end of the name");
        }
        if (pending_hi != 0) {
            g_string_free(out, TRUE);
            return decode_fail(error, mutf7, i,
                               "UTF-16 high surrogate at the end of a run without its low "
                               "surrogate");
        }
        if (units == 0 || nbits >= 6) {
            g_string_free(out, TRUE);
            return decode_fail(error, mutf7, i,
                               "BASE64 run length is not a whole number of UTF-16 units");
        }
        if (bits != 0) {
            g_string_free(out, TRUE);
            return decode_fail(error, mutf7, i - 1,
                               "non-zero padding bits at the end of a BASE64 run");
        }
        i++; /* the '-' */
        just_closed = TRUE;
    }
    return g_string_free(out, FALSE);
}

/* TRUE if name decodes. */
gboolean
msm_mutf7_is_valid(const char *name)
{
    char *d = msm_mutf7_decode(name, NULL);
    gboolean ok = d != NULL;
    g_free(d);
    return ok;
}
