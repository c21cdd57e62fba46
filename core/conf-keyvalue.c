/*
 * NAME
 *	conf-keyvalue.c - lossless "key = value" configuration formats
 * SUMMARY
 *	The MsmConfFormat objects of the line-oriented key/value files:
 *	configutil (msg.conf, local.conf, msg.conf.defaults, saved configutil
 *	listings), option.dat, imta_tailor, backup-groups.conf,
 *	job_controller.cnf, dispatcher.cnf and the per-channel "*_option"
 *	files (see <msmigrate/confdoc.h>).
 * DESCRIPTION
 *	All seven formats are parsed by one line machine, kv_parse(),
 *	parameterised by a KvDialect: which characters start a comment line,
 *	whether a trailing backslash continues a line, whether "[TYPE=value]"
 *	section headers exist, and whether values may be double-quoted with an
 *	optional configutil "[REFRESHABLE]" tag. Every physical line, with its
 *	own line end ("\n" or "\r\n"), goes into exactly one node:
 *
 *	- BLANK: a line of spaces and tabs only;
 *	- COMMENT: a line whose first non-blank character is a comment
 *	  character (never continued);
 *	- SECTION: "[TYPE=value]", identity "TYPE=value" with TYPE in upper
 *	  case and blanks around the brackets and "=" removed;
 *	- ENTRY: "key=value" (blanks around "=" optional), possibly continued
 *	  over several physical lines; key = the name as written, value = the
 *	  logical value: continuations joined (the backslash and the line end
 *	  removed, the next line's leading blanks kept), leading and trailing
 *	  blanks removed, for configutil the quotes removed and "\"" "\\"
 *	  unescaped;
 *	- VERBATIM: anything else (no "=", an invalid name, an unterminated
 *	  quote, a malformed section header, a continuation at the end of the
 *	  file, and every entry below a malformed section header), with a
 *	  warning naming the line.
 *
 *	New or changed entries are rendered "KEY=value" (MTA files,
 *	backup-groups.conf) or "name = value" (configutil, quoted when
 *	needed), with the line end of the line replaced or, for a new line,
 *	of the document's first line. docs/formats/conf-*.md describe each
 *	format.
 * DIAGNOSTICS
 *	Warnings "file:line: ... kept as it is" for verbatim lines.
 *	MSM_ERROR_PARSE "file:line: NUL byte" for input containing a NUL byte.
 */
#include "config.h"

#include <msmigrate/confdoc.h>
#include <msmigrate/error.h>

#include <string.h>

/* How one key/value format differs from the others. */
typedef struct {
    const char *comment_chars; /* a line whose first non-blank is one of these is a comment */
    gboolean continuation;     /* a trailing "\" joins the next physical line */
    gboolean sections;         /* "[TYPE=value]" headers */
    gboolean configutil;       /* quoted values, "[REFRESHABLE]" tags, "name = value" */
} KvDialect;

static const KvDialect dialect_configutil = {"#!", FALSE, FALSE, TRUE};
static const KvDialect dialect_mta = {"!", TRUE, FALSE, FALSE};
static const KvDialect dialect_mta_sections = {"!", TRUE, TRUE, FALSE};
static const KvDialect dialect_backup_groups = {"#!", FALSE, FALSE, FALSE};

/* ---------------------------------------------------------------------- */
/* lexical helpers                                                        */
/* ---------------------------------------------------------------------- */

/* TRUE for a space or a tab. */
static gboolean
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* TRUE for a character allowed in an option name ("name;lang-xx" included). */
static gboolean
is_key_char(char c)
{
    return g_ascii_isalnum(c) || c == '_' || c == '.' || c == '-' || c == ';' || c == '*';
}

/* A copy of s[0..len) without leading and trailing blanks. (transfer full) */
static char *
strip_blanks(const char *s, gsize len)
{
    while (len > 0 && is_blank(*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_blank(s[len - 1]))
        len--;
    return g_strndup(s, len);
}

/* The key of "key=..." in text (blanks around it removed), or NULL when
 * there is no "=" or the name is empty or has characters outside is_key_char.
 * *rest is set to the text after the "=". (transfer full) */
static char *
split_key(const char *text, const char **rest)
{
    const char *eq = strchr(text, '=');
    if (eq == NULL)
        return NULL;
    char *key = strip_blanks(text, (gsize)(eq - text));
    if (*key == '\0') {
        g_free(key);
        return NULL;
    }
    for (const char *p = key; *p; p++)
        if (!is_key_char(*p)) {
            g_free(key);
            return NULL;
        }
    *rest = eq + 1;
    return key;
}

/* Skips a "[REFRESHABLE]" or "[NOT REFRESHABLE]" tag at s; returns the
 * position after it, or NULL when s does not start with a tag. */
static const char *
skip_tag(const char *s)
{
    static const char *const tags[] = {"[REFRESHABLE]", "[NOT REFRESHABLE]"};
    for (gsize i = 0; i < G_N_ELEMENTS(tags); i++)
        if (g_str_has_prefix(s, tags[i]))
            return s + strlen(tags[i]);
    return NULL;
}

/* Parses a configutil value (the text after "="): a quoted string with "\""
 * and "\\" escapes, or bare text; either optionally followed by a listing tag.
 * Returns the value, or NULL with *why set when it is not understood.
 * (transfer full) */
static char *
configutil_value(const char *s, const char **why)
{
    while (is_blank(*s))
        s++;
    if (*s == '"') {
        GString *v = g_string_new(NULL);
        const char *p = s + 1;
        for (; *p && *p != '"'; p++) {
            if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                p++;
            g_string_append_c(v, *p);
        }
        if (*p != '"') {
            *why = "unterminated double quote";
            g_string_free(v, TRUE);
            return NULL;
        }
        p++;
        while (is_blank(*p))
            p++;
        const char *after = skip_tag(p);
        if (after) {
            p = after;
            while (is_blank(*p))
                p++;
        }
        if (*p != '\0') {
            *why = "text after the closing double quote";
            g_string_free(v, TRUE);
            return NULL;
        }
        return g_string_free(v, FALSE);
    }
    /* bare value: drop a trailing tag preceded by a blank (or alone) */
    char *v = strip_blanks(s, strlen(s));
    gsize n = strlen(v);
    static const char *const tags[] = {"[REFRESHABLE]", "[NOT REFRESHABLE]"};
    for (gsize i = 0; i < G_N_ELEMENTS(tags); i++) {
        gsize t = strlen(tags[i]);
        if (n >= t && strcmp(v + n - t, tags[i]) == 0 && (n == t || is_blank(v[n - t - 1]))) {
            char *w = strip_blanks(v, n - t);
            g_free(v);
            return w;
        }
    }
    return v;
}

/* Parses "[TYPE=value]" (blanks allowed around the parts); returns the
 * identity "TYPE=value" with TYPE in upper case, or NULL. (transfer full) */
static char *
section_identity(const char *text)
{
    char *t = strip_blanks(text, strlen(text));
    gsize n = strlen(t);
    char *id = NULL;
    if (n >= 2 && t[0] == '[' && t[n - 1] == ']') {
        t[n - 1] = '\0';
        const char *eq = strchr(t + 1, '=');
        if (eq) {
            char *type = strip_blanks(t + 1, (gsize)(eq - (t + 1)));
            char *val = strip_blanks(eq + 1, strlen(eq + 1));
            gboolean ok = *type != '\0' && *val != '\0' && strchr(val, ']') == NULL;
            for (const char *p = type; ok && *p; p++)
                ok = g_ascii_isalnum(*p) || *p == '_';
            if (ok) {
                char *up = g_ascii_strup(type, -1);
                id = g_strconcat(up, "=", val, NULL);
                g_free(up);
            }
            g_free(type);
            g_free(val);
        }
    }
    g_free(t);
    return id;
}

/* ---------------------------------------------------------------------- */
/* the shared line machine                                                */
/* ---------------------------------------------------------------------- */

/* Parses text as dialect d into doc, one node per logical line. */
static gboolean
kv_parse(MsmConfDoc *doc, const char *text, gsize len, const KvDialect *d, GError **error)
{
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        guint line = 1;
        for (const char *p = text; p < nul; p++)
            line += *p == '\n';
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s:%u: NUL byte in a text file; the file cannot be read as %s",
                    msm_confdoc_name(doc), line, msm_confdoc_format(doc)->name);
        return FALSE;
    }
    GArray *lines = msm_conf_split_lines(text, len);
    char *section = g_strdup("");
    guint bad_header = 0; /* line of a malformed section header in force, or 0 */
    guint i = 0;
    while (i < lines->len) {
        const MsmConfLine *l = &g_array_index(lines, MsmConfLine, i);
        guint first = i + 1;
        const char *t = l->start;
        gsize tl = l->text_len;
        gsize k = 0;
        while (k < tl && is_blank(t[k]))
            k++;
        if (k == tl) {
            msm_confdoc_add_node(doc, MSM_CONF_BLANK, l->start, l->len, first, 1, section,
                                 NULL, NULL);
            i++;
            continue;
        }
        if (strchr(d->comment_chars, t[k]) != NULL) {
            msm_confdoc_add_node(doc, MSM_CONF_COMMENT, l->start, l->len, first, 1, section,
                                 NULL, NULL);
            i++;
            continue;
        }
        /* gather the logical line */
        GString *logical = g_string_new(NULL);
        gsize raw_len = 0;
        guint n = 0;
        gboolean dangling = FALSE;
        for (;;) {
            const MsmConfLine *c = &g_array_index(lines, MsmConfLine, i + n);
            raw_len += c->len;
            n++;
            gboolean cont = d->continuation && c->text_len > 0 &&
                            c->start[c->text_len - 1] == '\\';
            if (!cont) {
                g_string_append_len(logical, c->start, (gssize)c->text_len);
                break;
            }
            g_string_append_len(logical, c->start, (gssize)c->text_len - 1);
            if (i + n >= lines->len || c->len == c->text_len) {
                dangling = TRUE;
                break;
            }
        }
        const char *why = NULL;
        if (dangling) {
            why = "a continuation \"\\\" at the end of the file";
        } else if (d->sections && logical->str[k] == '[') {
            char *id = section_identity(logical->str);
            if (id) {
                g_free(section);
                section = id;
                bad_header = 0;
                msm_confdoc_add_node(doc, MSM_CONF_SECTION, l->start, raw_len, first, n,
                                     section, section, NULL);
                g_string_free(logical, TRUE);
                i += n;
                continue;
            }
            msm_confdoc_warn(doc, first,
                             "section header not understood (expected \"[TYPE=value]\"); "
                             "kept as it is, and so are the options up to the next section "
                             "header");
            bad_header = first;
            msm_confdoc_add_node(doc, MSM_CONF_VERBATIM, l->start, raw_len, first, n, section,
                                 NULL, NULL);
            g_string_free(logical, TRUE);
            i += n;
            continue;
        } else {
            const char *rest = NULL;
            char *key = split_key(logical->str, &rest);
            char *value = NULL;
            if (key == NULL)
                why = strchr(logical->str, '=') ? "not a valid option name before \"=\""
                                                : "no \"=\" (expected \"name=value\")";
            else if (d->configutil)
                value = configutil_value(rest, &why);
            else
                value = strip_blanks(rest, strlen(rest));
            if (key && value && bad_header) {
                msm_confdoc_warn(doc, first,
                                 "option below the section header on line %u, which was not "
                                 "understood; kept as it is",
                                 bad_header);
                msm_confdoc_add_node(doc, MSM_CONF_VERBATIM, l->start, raw_len, first, n,
                                     section, NULL, NULL);
                why = NULL;
            } else if (key && value) {
                msm_confdoc_add_node(doc, MSM_CONF_ENTRY, l->start, raw_len, first, n, section,
                                     key, value);
            }
            g_free(key);
            g_free(value);
            if (why == NULL) {
                g_string_free(logical, TRUE);
                i += n;
                continue;
            }
        }
        msm_confdoc_warn(doc, first, "line not understood (%s); kept as it is", why);
        msm_confdoc_add_node(doc, MSM_CONF_VERBATIM, l->start, raw_len, first, n, section,
                             NULL, NULL);
        g_string_free(logical, TRUE);
        i += n;
    }
    g_free(section);
    g_array_unref(lines);
    return TRUE;
}

/* ---------------------------------------------------------------------- */
/* rendering                                                              */
/* ---------------------------------------------------------------------- */

/* The line end for a rendered line: that of the entry it replaces, else that
 * of the document's first terminated line, else "\n". */
static const char *
line_end(const MsmConfDoc *doc, const char *section, const char *key)
{
    const MsmConfNode *n = key ? msm_confdoc_find(doc, section, key) : NULL;
    if (n && n->raw->len > 0 && n->raw->str[n->raw->len - 1] == '\n')
        return n->raw->len > 1 && n->raw->str[n->raw->len - 2] == '\r' ? "\r\n" : "\n";
    if (n)
        return "\n"; /* the last line without an end: confdoc drops the "\n" */
    for (guint i = 0; i < msm_confdoc_n_nodes(doc); i++) {
        const GString *r = msm_confdoc_node(doc, i)->raw;
        const char *nl = memchr(r->str, '\n', r->len);
        if (nl)
            return nl > r->str && nl[-1] == '\r' ? "\r\n" : "\n";
    }
    return "\n";
}

/* A copy of value with CR and LF (which no format here can carry) made spaces. */
static char *
single_line(const char *value)
{
    char *v = g_strdup(value ? value : "");
    for (char *p = v; *p; p++)
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    return v;
}

/* TRUE when a configutil value must be written in double quotes. */
static gboolean
needs_quotes(const char *v)
{
    if (*v == '\0')
        return TRUE;
    for (const char *p = v; *p; p++)
        if (is_blank(*p) || *p == '"' || *p == '\\' || *p == '[' || *p == ']' ||
            (guchar)*p < 0x20 || *p == 0x7f)
            return TRUE;
    return FALSE;
}

/* The listing tag ("[REFRESHABLE]") of the line a rendered entry replaces, or NULL. */
static const char *
old_tag(const MsmConfDoc *doc, const char *section, const char *key)
{
    const MsmConfNode *n = msm_confdoc_find(doc, section, key);
    if (n == NULL)
        return NULL;
    char *t = strip_blanks(n->raw->str, n->raw->len);
    g_strchomp(t);
    const char *tag = g_str_has_suffix(t, " [NOT REFRESHABLE]") ? "[NOT REFRESHABLE]"
                      : g_str_has_suffix(t, " [REFRESHABLE]")   ? "[REFRESHABLE]"
                                                                : NULL;
    g_free(t);
    return tag;
}

/* Renders "name = value" (quoted when needed; an old listing tag kept). */
static char *
render_configutil(const MsmConfDoc *doc, const char *section, const char *key,
                  const char *value)
{
    char *v = single_line(value);
    GString *s = g_string_new(key);
    g_string_append(s, " = ");
    if (needs_quotes(v)) {
        g_string_append_c(s, '"');
        for (const char *p = v; *p; p++) {
            if (*p == '"' || *p == '\\')
                g_string_append_c(s, '\\');
            g_string_append_c(s, *p);
        }
        g_string_append_c(s, '"');
    } else {
        g_string_append(s, v);
    }
    const char *tag = old_tag(doc, section, key);
    if (tag)
        g_string_append_printf(s, " %s", tag);
    g_string_append(s, line_end(doc, section, key));
    g_free(v);
    return g_string_free(s, FALSE);
}

/* Renders "KEY=value"; a value ending in "\" gets a blank so that it does not
 * continue the line (the parser removes trailing blanks). */
static char *
render_plain(const MsmConfDoc *doc, const char *section, const char *key, const char *value)
{
    char *v = single_line(value);
    g_strstrip(v);
    gsize n = strlen(v);
    char *out = g_strconcat(key, "=", v, n > 0 && v[n - 1] == '\\' ? " " : "",
                            line_end(doc, section, key), NULL);
    g_free(v);
    return out;
}

/* Renders a section header "[TYPE=value]", the type in upper case. */
static char *
render_section(const MsmConfDoc *doc, const char *section)
{
    const char *eq = strchr(section, '=');
    gsize tl = eq ? (gsize)(eq - section) : 0;
    char *type = g_ascii_strup(section, (gssize)tl);
    char *out = g_strconcat("[", type, section + tl, "]", line_end(doc, NULL, NULL), NULL);
    g_free(type);
    return out;
}

/* ---------------------------------------------------------------------- */
/* the formats                                                            */
/* ---------------------------------------------------------------------- */

/* Parses configutil files (msg.conf, local.conf, listings). */
static gboolean
parse_configutil(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    return kv_parse(doc, text, len, &dialect_configutil, error);
}

/* Parses MTA option files without sections. */
static gboolean
parse_mta(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    return kv_parse(doc, text, len, &dialect_mta, error);
}

/* Parses MTA files with "[TYPE=value]" sections. */
static gboolean
parse_mta_sections(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    return kv_parse(doc, text, len, &dialect_mta_sections, error);
}

/* Parses backup-groups.conf. */
static gboolean
parse_backup_groups(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    return kv_parse(doc, text, len, &dialect_backup_groups, error);
}

static const char *const files_configutil[] = {"msg.conf", "local.conf", "msg.conf.defaults",
                                               "*.configutil", NULL};
static const char *const files_option_dat[] = {"option.dat", NULL};
static const char *const files_imta_tailor[] = {"imta_tailor", NULL};
static const char *const files_backup_groups[] = {"backup-groups.conf", NULL};
static const char *const files_job_controller[] = {"job_controller.cnf", NULL};
static const char *const files_dispatcher[] = {"dispatcher.cnf", NULL};
static const char *const files_channel_option[] = {"*_option", NULL};

const MsmConfFormat msm_conf_format_configutil = {
    .name = "configutil",
    .description = "configutil parameters: msg.conf, local.conf, saved configutil listings",
    .files = files_configutil,
    .keys_case_insensitive = TRUE,
    .parse = parse_configutil,
    .render_entry = render_configutil,
    .render_section = NULL,
};

const MsmConfFormat msm_conf_format_option_dat = {
    .name = "option.dat",
    .description = "global MTA options (KEY=VALUE)",
    .files = files_option_dat,
    .keys_case_insensitive = TRUE,
    .parse = parse_mta,
    .render_entry = render_plain,
    .render_section = NULL,
};

const MsmConfFormat msm_conf_format_imta_tailor = {
    .name = "imta_tailor",
    .description = "MTA paths and tailoring (IMTA_X=value)",
    .files = files_imta_tailor,
    .keys_case_insensitive = TRUE,
    .parse = parse_mta,
    .render_entry = render_plain,
    .render_section = NULL,
};

const MsmConfFormat msm_conf_format_backup_groups = {
    .name = "backup-groups.conf",
    .description = "imsbackup user groups (group=regex)",
    .files = files_backup_groups,
    .keys_case_insensitive = FALSE,
    .parse = parse_backup_groups,
    .render_entry = render_plain,
    .render_section = NULL,
};

const MsmConfFormat msm_conf_format_job_controller = {
    .name = "job_controller.cnf",
    .description = "MTA job controller: global options, [POOL=]/[CHANNEL=] sections",
    .files = files_job_controller,
    .keys_case_insensitive = TRUE,
    .parse = parse_mta_sections,
    .render_entry = render_plain,
    .render_section = render_section,
};

const MsmConfFormat msm_conf_format_dispatcher = {
    .name = "dispatcher.cnf",
    .description = "MTA dispatcher: global options, [SERVICE=] sections",
    .files = files_dispatcher,
    .keys_case_insensitive = TRUE,
    .parse = parse_mta_sections,
    .render_entry = render_plain,
    .render_section = render_section,
};

const MsmConfFormat msm_conf_format_channel_option = {
    .name = "channel_option",
    .description = "per-channel MTA option files (<channel>_option, KEY=value)",
    .files = files_channel_option,
    .keys_case_insensitive = TRUE,
    .parse = parse_mta,
    .render_entry = render_plain,
    .render_section = NULL,
};
