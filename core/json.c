/*
 * NAME
 *	json.c - streaming JSON writer (see json.h)
 */
#include "config.h"

#include "json.h"

#include <string.h>

struct MsmJson {
    GString *out;
    GArray *first; /* per nesting level: TRUE until the first element is written */
    gboolean after_key;
    gboolean pretty;
};

MsmJson *
msm_json_new(gboolean pretty)
{
    MsmJson *j = g_new0(MsmJson, 1);
    j->out = g_string_new(NULL);
    j->first = g_array_new(FALSE, FALSE, sizeof(gboolean));
    j->pretty = pretty;
    return j;
}

static void
newline(MsmJson *j)
{
    if (!j->pretty)
        return;
    g_string_append_c(j->out, '\n');
    for (guint i = 0; i < j->first->len; i++)
        g_string_append(j->out, "  ");
}

/* Writes the separator owed before a new value. */
static void
pre_value(MsmJson *j)
{
    if (j->after_key) {
        j->after_key = FALSE;
        return;
    }
    if (j->first->len == 0)
        return;
    gboolean *first = &g_array_index(j->first, gboolean, j->first->len - 1);
    if (!*first)
        g_string_append_c(j->out, ',');
    *first = FALSE;
    newline(j);
}

static void
push(MsmJson *j, char c)
{
    pre_value(j);
    g_string_append_c(j->out, c);
    gboolean t = TRUE;
    g_array_append_val(j->first, t);
}

static void
pop(MsmJson *j, char c)
{
    gboolean was_empty = g_array_index(j->first, gboolean, j->first->len - 1);
    g_array_set_size(j->first, j->first->len - 1);
    if (!was_empty)
        newline(j);
    g_string_append_c(j->out, c);
}

void
msm_json_begin_object(MsmJson *j)
{
    push(j, '{');
}

void
msm_json_end_object(MsmJson *j)
{
    pop(j, '}');
}

void
msm_json_begin_array(MsmJson *j)
{
    push(j, '[');
}

void
msm_json_end_array(MsmJson *j)
{
    pop(j, ']');
}

static void
append_escaped(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    const char *p = s;
    const char *end = s + strlen(s);
    while (p < end) {
        gunichar c = g_utf8_get_char_validated(p, end - p);
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            g_string_append(out, "\\ufffd");
            p++;
            continue;
        }
        switch (c) {
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        default:
            if (c < 0x20)
                g_string_append_printf(out, "\\u%04x", (unsigned)c);
            else
                g_string_append_len(out, p, g_utf8_next_char(p) - p);
        }
        p = g_utf8_next_char(p);
    }
    g_string_append_c(out, '"');
}

void
msm_json_key(MsmJson *j, const char *key)
{
    pre_value(j);
    append_escaped(j->out, key);
    g_string_append(j->out, j->pretty ? ": " : ":");
    j->after_key = TRUE;
}

void
msm_json_string(MsmJson *j, const char *s)
{
    if (s == NULL) {
        msm_json_null(j);
        return;
    }
    pre_value(j);
    append_escaped(j->out, s);
}

void
msm_json_int(MsmJson *j, gint64 v)
{
    pre_value(j);
    g_string_append_printf(j->out, "%" G_GINT64_FORMAT, v);
}

void
msm_json_bool(MsmJson *j, gboolean v)
{
    pre_value(j);
    g_string_append(j->out, v ? "true" : "false");
}

void
msm_json_null(MsmJson *j)
{
    pre_value(j);
    g_string_append(j->out, "null");
}

void
msm_json_kv_string(MsmJson *j, const char *key, const char *s)
{
    msm_json_key(j, key);
    msm_json_string(j, s);
}

void
msm_json_kv_int(MsmJson *j, const char *key, gint64 v)
{
    msm_json_key(j, key);
    msm_json_int(j, v);
}

void
msm_json_kv_bool(MsmJson *j, const char *key, gboolean v)
{
    msm_json_key(j, key);
    msm_json_bool(j, v);
}

char *
msm_json_finish(MsmJson *j)
{
    if (j->pretty)
        g_string_append_c(j->out, '\n');
    g_array_free(j->first, TRUE);
    char *s = g_string_free(j->out, FALSE);
    g_free(j);
    return s;
}
