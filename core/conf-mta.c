/*
 * NAME
 *	conf-mta.c - lossless MTA configuration formats: imta.cnf, mappings,
 *	aliases, conversions, internet.rules, <channel>_headers.opt
 * SUMMARY
 *	Defines msm_conf_format_imta_cnf, msm_conf_format_mappings,
 *	msm_conf_format_aliases, msm_conf_format_conversions,
 *	msm_conf_format_internet_rules and msm_conf_format_headers_opt for
 *	the document engine of <msmigrate/confdoc.h>.
 * DESCRIPTION
 *	All six formats share the MTA conventions (domain facts section 2):
 *	"!" comment lines, blank lines, a trailing "\" continuing a line,
 *	"<file" include lines. One set of static helpers reads physical lines,
 *	groups continuation lines into logical lines and emits nodes; each
 *	format adds only its own grammar. Every physical line, with its line
 *	end, lands in exactly one node, so an unchanged document serialises
 *	byte for byte. The grammars, node layouts and renderings are
 *	documented in docs/formats/conf-imta-cnf.md, conf-mappings.md,
 *	conf-aliases.md, conf-conversions.md, conf-internet-rules.md and
 *	conf-headers-opt.md.
 *
 *	Joining continuation lines (the project's model): the trailing "\" of
 *	a physical line is removed, and the next line's text is appended
 *	with its leading white space removed.
 * DIAGNOSTICS
 *	A construct a format does not understand becomes a VERBATIM node and
 *	a warning "name:line: ...: kept as it is". A NUL byte is an
 *	MSM_ERROR_PARSE error naming the line.
 */
#include "config.h"

#include <msmigrate/confdoc.h>
#include <msmigrate/error.h>

#include "confdoc-priv.h"

#include <string.h>

/* Columns msmigrate fills before continuing a rendered channel line. */
#define MTA_WRAP 76
/* The MS 6.x physical line limit (domain facts section 2). */
#define MTA_LINE_MAX 1024

/* ==== shared line machinery ==== */

typedef struct {
    MsmConfDoc *doc;
    GArray *lines;         /* MsmConfLine */
    gboolean comment_col1; /* "!" only in column 1 is a comment (mappings) */
} Reader;

/* The physical line i (0-based). */
static const MsmConfLine *
rline(const Reader *r, guint i)
{
    return &g_array_index(r->lines, MsmConfLine, i);
}

/* TRUE when c is a space or a tab. */
static gboolean
is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* TRUE for an empty or white-space-only line. */
static gboolean
line_blank(const MsmConfLine *l)
{
    for (gsize k = 0; k < l->text_len; k++)
        if (!is_ws(l->start[k]) && l->start[k] != '\r')
            return FALSE;
    return TRUE;
}

/* TRUE for a "!" comment line. */
static gboolean
line_comment(const Reader *r, const MsmConfLine *l)
{
    gsize k = 0;
    if (!r->comment_col1)
        while (k < l->text_len && is_ws(l->start[k]))
            k++;
    return k < l->text_len && l->start[k] == '!';
}

/* TRUE for an include line: "<" in column 1. */
static gboolean
line_include(const MsmConfLine *l)
{
    return l->text_len > 0 && l->start[0] == '<';
}

/* TRUE when the line starts with white space. */
static gboolean
line_indented(const MsmConfLine *l)
{
    return l->text_len > 0 && is_ws(l->start[0]);
}

/* TRUE when the line's text ends with "\" (trailing white space ignored). */
static gboolean
line_continues(const MsmConfLine *l)
{
    gsize e = l->text_len;
    while (e > 0 && (is_ws(l->start[e - 1]) || l->start[e - 1] == '\r'))
        e--;
    return e > 0 && l->start[e - 1] == '\\';
}

/* Physical lines in the logical line starting at first ("\" continuation;
 * a blank line never continues one). */
static guint
logical_extent(const Reader *r, guint first)
{
    guint i = first;
    while (i + 1 < r->lines->len && line_continues(rline(r, i)) &&
           !line_blank(rline(r, i + 1)))
        i++;
    return i - first + 1;
}

/* Appends line l's text to s, as the continuation model says. */
static void
join_one(GString *s, const MsmConfLine *l, gboolean continued, gboolean strip_lead)
{
    gsize b = 0, e = l->text_len;
    if (strip_lead)
        while (b < e && is_ws(l->start[b]))
            b++;
    if (continued) {
        while (e > b && (is_ws(l->start[e - 1]) || l->start[e - 1] == '\r'))
            e--;
        e--; /* the "\" */
    }
    g_string_append_len(s, l->start + b, (gssize)(e - b));
}

/* The text of physical lines [first, first+n) joined (transfer full). */
static char *
logical_join(const Reader *r, guint first, guint n)
{
    GString *s = g_string_new(NULL);
    for (guint i = first; i < first + n; i++)
        join_one(s, rline(r, i), i + 1 < first + n, i > first);
    return g_string_free(s, FALSE);
}

/* Emits a node covering physical lines [first, first+n). */
static MsmConfNode *
emit(Reader *r, MsmConfNodeType type, guint first, guint n, const char *section,
     const char *key, const char *value)
{
    const MsmConfLine *a = rline(r, first);
    const MsmConfLine *z = rline(r, first + n - 1);
    gsize len = (gsize)(z->start - a->start) + z->len;
    return msm_confdoc_add_node(r->doc, type, a->start, len, first + 1, n, section, key, value);
}

/* Emits physical lines [first, first+n) verbatim with a warning why. */
static void
emit_verbatim(Reader *r, guint first, guint n, const char *section, const char *why)
{
    emit(r, MSM_CONF_VERBATIM, first, n, section, NULL, NULL);
    msm_confdoc_warn(r->doc, first + 1, "%s: kept as it is", why);
}

/* Emits an include line (logical line at first), key = the path. */
static guint
emit_include(Reader *r, guint first, const char *section)
{
    guint n = logical_extent(r, first);
    char *t = logical_join(r, first, n);
    char *path = g_strstrip(g_strdup(t + 1));
    emit(r, MSM_CONF_INCLUDE, first, n, section, path, NULL);
    g_free(path);
    g_free(t);
    return n;
}

/* Emits a blank, comment or include line at i; returns the lines used, or 0. */
static guint
emit_common(Reader *r, guint i, const char *section)
{
    const MsmConfLine *l = rline(r, i);
    if (line_blank(l)) {
        emit(r, MSM_CONF_BLANK, i, 1, section, NULL, NULL);
        return 1;
    }
    if (line_comment(r, l)) {
        emit(r, MSM_CONF_COMMENT, i, 1, section, NULL, NULL);
        return 1;
    }
    if (line_include(l))
        return emit_include(r, i, section);
    return 0;
}

/* Starts reading text; FALSE (MSM_ERROR_PARSE) when it holds a NUL byte. */
static gboolean
reader_init(Reader *r, MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL) {
        guint line = 1;
        for (const char *p = text; p < nul; p++)
            line += *p == '\n';
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s:%u: a NUL byte in a text file; remove it and run again",
                    msm_confdoc_name(doc), line);
        return FALSE;
    }
    r->doc = doc;
    r->lines = msm_conf_split_lines(text, len);
    r->comment_col1 = FALSE;
    return TRUE;
}

/* Splits s at the first run of white space: the first word and the trimmed
 * rest (either may be empty). (transfer full) */
static void
split_first_word(const char *s, char **word, char **rest)
{
    while (is_ws(*s))
        s++;
    const char *e = s;
    while (*e && !is_ws(*e))
        e++;
    *word = g_strndup(s, (gsize)(e - s));
    *rest = g_strstrip(g_strdup(e));
}

/* Appends text's words to out, continuing with " \" before column width. */
static void
append_wrapped(GString *out, const char *text, gsize width)
{
    gsize line_start = out->len;
    const char *nl = strrchr(out->str, '\n');
    if (nl)
        line_start = (gsize)(nl - out->str) + 1;
    else
        line_start = 0;
    char **words = g_strsplit_set(text, " \t", -1);
    for (char **w = words; *w; w++) {
        if (**w == '\0')
            continue;
        gsize wl = strlen(*w);
        gsize col = out->len - line_start;
        if (col > 2 && col + 1 + wl + 2 > width) {
            g_string_append(out, " \\\n  ");
            line_start = out->len - 2;
        } else if (col > 0) {
            g_string_append_c(out, ' ');
        }
        g_string_append(out, *w);
    }
    g_strfreev(words);
}

/* Appends "head value" to out, wrapped only if longer than the line limit. */
static void
append_line_limited(GString *out, const char *head, const char *value)
{
    if (strlen(head) + 1 + strlen(value) < MTA_LINE_MAX) {
        g_string_append_printf(out, "%s %s", head, value);
    } else {
        g_string_append(out, head);
        append_wrapped(out, value, MTA_LINE_MAX - 1);
    }
}

/* ---- where msm_confdoc_set() puts a new entry (mirrors core/confdoc.c) ---- */

typedef enum {
    TAIL_START,   /* nothing before the new entry */
    TAIL_BLANK,   /* the line before it is blank */
    TAIL_TEXT,    /* the line before it has text */
    TAIL_CONT,    /* the line before it has text ending with "\" */
    TAIL_MIDLINE, /* the text before it does not end with a line end */
} Tail;

/* Whether the text up to node after (terminated by the engine if
 * terminated) ends blank, with text, or mid-line. */
static Tail
tail_at(const MsmConfDoc *doc, gint after, gboolean terminated)
{
    for (gint j = after; j >= 0; j--) {
        const MsmConfNode *n = msm_confdoc_node(doc, (guint)j);
        const char *s = n->raw->str;
        gsize len = n->raw->len;
        if (len == 0)
            continue;
        gboolean ends = s[len - 1] == '\n';
        if (!ends && !(terminated && j == after))
            return TAIL_MIDLINE;
        gsize e = ends ? len - 1 : len;
        gsize b = e;
        while (b > 0 && s[b - 1] != '\n')
            b--;
        while (e > b && (is_ws(s[e - 1]) || s[e - 1] == '\r'))
            e--;
        if (e == b)
            return TAIL_BLANK;
        return s[e - 1] == '\\' ? TAIL_CONT : TAIL_TEXT;
    }
    return TAIL_START;
}

/* The first node from index i on with bytes, or NULL. */
static const MsmConfNode *
next_with_bytes(const MsmConfDoc *doc, guint i)
{
    for (; i < msm_confdoc_n_nodes(doc); i++) {
        const MsmConfNode *n = msm_confdoc_node(doc, i);
        if (n->raw->len > 0)
            return n;
    }
    return NULL;
}

/* What precedes a new entry of section; *next is the first node with bytes
 * after it (NULL at the end); *new_section whether a section is created. */
static Tail
tail_for_new(const MsmConfDoc *doc, const char *section, const MsmConfNode **next,
             gboolean *new_section)
{
    gint first_section = -1;
    guint n = msm_confdoc_n_nodes(doc);
    gint after = confdoc_place_new(doc, section, &first_section); /* as msm_confdoc_set */
    *new_section = FALSE;
    *next = NULL;
    if (after >= 0) {
        *next = next_with_bytes(doc, (guint)after + 1);
        return tail_at(doc, after, TRUE);
    }
    if (*section == '\0' && first_section >= 0) {
        *next = next_with_bytes(doc, (guint)first_section);
        return tail_at(doc, first_section - 1, FALSE);
    }
    *new_section = *section != '\0';
    return tail_at(doc, (gint)n - 1, TRUE);
}

/* ==== imta.cnf ==== */

/* Parses one rewrite rule line (logical line at i). Returns lines used. */
static guint
imta_rewrite_line(Reader *r, guint i)
{
    guint n = logical_extent(r, i);
    if (line_indented(rline(r, i))) {
        emit_verbatim(r, i, n, "rewrite",
                      "a rewrite rule must start in column 1 (\"pattern template\")");
        return n;
    }
    char *t = logical_join(r, i, n);
    char **f = g_strsplit_set(g_strstrip(t), " \t", -1);
    GPtrArray *words = g_ptr_array_new();
    for (char **w = f; *w; w++)
        if (**w)
            g_ptr_array_add(words, *w);
    if (words->len == 2)
        emit(r, MSM_CONF_ENTRY, i, n, "rewrite", words->pdata[0], words->pdata[1]);
    else
        emit_verbatim(r, i, n, "rewrite",
                      "not a rewrite rule (\"pattern template\", no spaces inside either)");
    g_ptr_array_unref(words);
    g_strfreev(f);
    g_free(t);
    return n;
}

/* Parses one channel block starting at i (up to a blank line). Returns lines used. */
static guint
imta_channel_block(Reader *r, guint i)
{
    guint total = r->lines->len;
    guint n = logical_extent(r, i);
    if (line_indented(rline(r, i))) {
        emit_verbatim(r, i, n, "channels",
                      "a channel block must start with the channel name in column 1");
        return n;
    }
    char *first = logical_join(r, i, n);
    char *name, *rest;
    split_first_word(first, &name, &rest);
    GString *value = g_string_new(NULL);
    char **kw = g_strsplit_set(rest, " \t", -1);
    for (char **w = kw; *w; w++)
        if (**w)
            g_string_append_printf(value, "%s%s", value->len ? " " : "", *w);
    g_strfreev(kw);
    guint k = i + n;
    while (k < total && !line_blank(rline(r, k))) {
        guint m = logical_extent(r, k);
        if (!line_comment(r, rline(r, k))) {
            char *h = logical_join(r, k, m);
            g_string_append_printf(value, "\n%s", g_strstrip(h));
            g_free(h);
        }
        k += m;
    }
    emit(r, MSM_CONF_ENTRY, i, k - i, "channels", name, value->str);
    g_string_free(value, TRUE);
    g_free(name);
    g_free(rest);
    g_free(first);
    return k - i;
}

/* Parses imta.cnf: rewrite rules up to the first blank line, then channel blocks. */
static gboolean
imta_parse(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    Reader r;
    if (!reader_init(&r, doc, text, len, error))
        return FALSE;
    guint i = 0, total = r.lines->len;
    gboolean ended = FALSE;
    while (i < total && !ended) {
        const MsmConfLine *l = rline(&r, i);
        if (line_blank(l)) {
            /* zero-length markers: where new rules / channels go */
            msm_confdoc_add_node(doc, MSM_CONF_SECTION, "", 0, i + 1, 0, "rewrite", "rewrite",
                                 NULL);
            emit(&r, MSM_CONF_BLANK, i, 1, "rewrite", NULL, NULL);
            msm_confdoc_add_node(doc, MSM_CONF_SECTION, "", 0, i + 2, 0, "channels",
                                 "channels", NULL);
            ended = TRUE;
            i++;
            continue;
        }
        guint used = emit_common(&r, i, "rewrite");
        i += used ? used : imta_rewrite_line(&r, i);
    }
    if (!ended) {
        msm_confdoc_add_node(doc, MSM_CONF_SECTION, "", 0, i + 1, 0, "rewrite", "rewrite", NULL);
        msm_confdoc_add_node(doc, MSM_CONF_SECTION, "", 0, i + 1, 0, "channels", "channels",
                             NULL);
    }
    while (i < total) {
        guint used = emit_common(&r, i, "channels");
        i += used ? used : imta_channel_block(&r, i);
    }
    g_array_unref(r.lines);
    return TRUE;
}

/* Renders a rewrite rule or a channel block (a new block with a blank line before it). */
static char *
imta_render_entry(const MsmConfDoc *doc, const char *section, const char *key,
                  const char *value)
{
    gboolean exists = msm_confdoc_find(doc, section, key) != NULL;
    const MsmConfNode *next = NULL;
    gboolean new_sec;
    Tail tail = exists ? TAIL_TEXT : tail_for_new(doc, section, &next, &new_sec);
    GString *out = g_string_new(NULL);
    if (strcmp(section, "channels") == 0) {
        if (!exists)
            g_string_append(out, tail == TAIL_BLANK    ? ""
                                 : tail == TAIL_MIDLINE ? "\n\n"
                                                        : "\n");
        const char *nl = strchr(value ? value : "", '\n');
        char *kw = nl ? g_strndup(value, (gsize)(nl - value)) : g_strdup(value ? value : "");
        g_string_append(out, key);
        append_wrapped(out, kw, MTA_WRAP);
        g_string_append_c(out, '\n');
        if (nl) {
            char **hosts = g_strsplit(nl + 1, "\n", -1);
            for (char **h = hosts; *h; h++) {
                g_strstrip(*h);
                if (**h)
                    g_string_append_printf(out, "%s\n", *h);
            }
            g_strfreev(hosts);
        }
        g_free(kw);
        if (next != NULL && next->type != MSM_CONF_BLANK)
            g_string_append_c(out, '\n'); /* end the block before what follows */
    } else {
        if (tail == TAIL_MIDLINE)
            g_string_append_c(out, '\n');
        g_string_append_printf(out, "%s %s\n", key, value ? value : "");
    }
    return g_string_free(out, FALSE);
}

/* A new imta.cnf part has no header line: an empty marker node. */
static char *
imta_render_section(const MsmConfDoc *doc, const char *section)
{
    (void)doc;
    (void)section;
    return g_strdup("");
}

static const char *const imta_files[] = {"imta.cnf", NULL};

const MsmConfFormat msm_conf_format_imta_cnf = {
    .name = "imta.cnf",
    .description = "MTA configuration: rewrite rules and channel blocks",
    .files = imta_files,
    .keys_case_insensitive = FALSE,
    .parse = imta_parse,
    .render_entry = imta_render_entry,
    .render_section = imta_render_section,
};

/* ==== mappings ==== */

/* Splits an entry into pattern (up to unquoted white space; "$x" quotes x)
 * and the trimmed template. (transfer full) */
static void
mappings_split(const char *s, char **pattern, char **tmpl)
{
    while (is_ws(*s))
        s++;
    const char *e = s;
    while (*e && !is_ws(*e)) {
        if (*e == '$' && e[1] != '\0')
            e++;
        e++;
    }
    *pattern = g_strndup(s, (gsize)(e - s));
    *tmpl = g_strstrip(g_strdup(e));
}

/* TRUE for a valid table name line text: one word starting with a letter. */
static gboolean
mappings_table_name(const char *t)
{
    if (!g_ascii_isalpha(*t))
        return FALSE;
    for (const char *p = t; *p; p++)
        if (is_ws(*p))
            return FALSE;
    return TRUE;
}

/* Parses mappings: table names in column 1, indented entries below them. */
static gboolean
mappings_parse(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    Reader r;
    if (!reader_init(&r, doc, text, len, error))
        return FALSE;
    r.comment_col1 = TRUE;
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    char *table = g_strdup("");
    guint i = 0, total = r.lines->len;
    while (i < total) {
        guint used = emit_common(&r, i, table);
        if (used) {
            i += used;
            continue;
        }
        guint n = logical_extent(&r, i);
        char *t = g_strstrip(logical_join(&r, i, n));
        if (!line_indented(rline(&r, i))) {
            if (!mappings_table_name(t)) {
                emit_verbatim(&r, i, n, table,
                              "not a table name (one word starting with a letter in column 1)"
                              " nor an indented entry");
            } else {
                g_free(table);
                table = g_strdup(t);
                guint hn = n;
                if (i + n < total && line_blank(rline(&r, i + n)))
                    hn++; /* the required blank line belongs to the header */
                else
                    msm_confdoc_warn(doc, i + 1,
                                     "table %s: the blank line required after its name is "
                                     "missing",
                                     table);
                if (g_hash_table_contains(seen, table))
                    msm_confdoc_warn(doc, i + 1, "table %s: defined twice", table);
                g_hash_table_add(seen, g_strdup(table));
                emit(&r, MSM_CONF_SECTION, i, hn, table, table, NULL);
                n = hn;
            }
        } else if (*table == '\0') {
            emit_verbatim(&r, i, n, table, "an indented entry before any table name");
        } else {
            char *pat, *tmpl;
            mappings_split(t, &pat, &tmpl);
            if (*tmpl == '\0')
                emit_verbatim(&r, i, n, table,
                              "a mapping entry needs a pattern and a template");
            else
                emit(&r, MSM_CONF_ENTRY, i, n, table, pat, tmpl);
            g_free(pat);
            g_free(tmpl);
        }
        g_free(t);
        i += n;
    }
    g_free(table);
    g_hash_table_unref(seen);
    g_array_unref(r.lines);
    return TRUE;
}

/* Renders "  pattern  template". */
static char *
mappings_render_entry(const MsmConfDoc *doc, const char *section, const char *key,
                      const char *value)
{
    gboolean exists = msm_confdoc_find(doc, section, key) != NULL;
    const MsmConfNode *next = NULL;
    gboolean new_sec = FALSE;
    Tail tail = exists ? TAIL_TEXT : tail_for_new(doc, section, &next, &new_sec);
    GString *out = g_string_new(NULL);
    if (!new_sec && (tail == TAIL_MIDLINE || tail == TAIL_CONT))
        g_string_append_c(out, '\n');
    g_string_append_printf(out, "  %s  %s\n", key, value ? value : "");
    if (!exists && next != NULL && next->type == MSM_CONF_SECTION && *section)
        g_string_append_c(out, '\n'); /* one blank line before the next table */
    return g_string_free(out, FALSE);
}

/* Renders a new table header: the name and its required blank line. */
static char *
mappings_render_section(const MsmConfDoc *doc, const char *section)
{
    Tail tail = tail_at(doc, (gint)msm_confdoc_n_nodes(doc) - 1, TRUE);
    return g_strdup_printf("%s%s\n\n",
                           tail == TAIL_START || tail == TAIL_BLANK ? "" : "\n", section);
}

static const char *const mappings_files[] = {"mappings", NULL};

const MsmConfFormat msm_conf_format_mappings = {
    .name = "mappings",
    .description = "MTA mapping tables",
    .files = mappings_files,
    .keys_case_insensitive = FALSE,
    .parse = mappings_parse,
    .render_entry = mappings_render_entry,
    .render_section = mappings_render_section,
};

/* ==== one-entry-per-logical-line formats ==== */

/* Splits a logical line into key and value; FALSE (with why) when it cannot. */
typedef gboolean (*LineSplitter)(const char *text, char **key, char **value,
                                 const char **why);

/* Parses a format of comments, blanks, includes and one entry per logical line. */
static gboolean
parse_lines(MsmConfDoc *doc, const char *text, gsize len, GError **error, LineSplitter split)
{
    Reader r;
    if (!reader_init(&r, doc, text, len, error))
        return FALSE;
    guint i = 0, total = r.lines->len;
    while (i < total) {
        guint used = emit_common(&r, i, "");
        if (used) {
            i += used;
            continue;
        }
        guint n = logical_extent(&r, i);
        char *t = logical_join(&r, i, n);
        char *key = NULL, *value = NULL;
        const char *why = NULL;
        if (line_indented(rline(&r, i)))
            emit_verbatim(&r, i, n, "", "an entry must start in column 1");
        else if (split(t, &key, &value, &why))
            emit(&r, MSM_CONF_ENTRY, i, n, "", key, value);
        else
            emit_verbatim(&r, i, n, "", why);
        g_free(key);
        g_free(value);
        g_free(t);
        i += n;
    }
    g_array_unref(r.lines);
    return TRUE;
}

/* Splits "name: value" at the first colon; the name has no white space. */
static gboolean
split_colon(const char *text, char **key, char **value)
{
    const char *c = strchr(text, ':');
    if (c == NULL || c == text)
        return FALSE;
    for (const char *p = text; p < c; p++)
        if (is_ws(*p) || (guchar)*p < 33 || (guchar)*p > 126)
            return FALSE;
    *key = g_strndup(text, (gsize)(c - text));
    *value = g_strstrip(g_strdup(c + 1));
    return TRUE;
}

/* Renders "key: value" (wrapped only beyond the line limit), with a line end
 * first if the text before a new entry lacks one. */
static char *
render_colon(const MsmConfDoc *doc, const char *section, const char *key, const char *value)
{
    const MsmConfNode *next;
    gboolean new_sec;
    Tail tail = msm_confdoc_find(doc, section, key) != NULL
                    ? TAIL_TEXT
                    : tail_for_new(doc, section, &next, &new_sec);
    GString *out = g_string_new(tail == TAIL_MIDLINE || tail == TAIL_CONT ? "\n" : "");
    char *head = g_strdup_printf("%s:", key);
    append_line_limited(out, head, value ? value : "");
    g_string_append_c(out, '\n');
    g_free(head);
    return g_string_free(out, FALSE);
}

/* ---- aliases ---- */

/* Splits "alias: expansion". */
static gboolean
aliases_split(const char *text, char **key, char **value, const char **why)
{
    if (split_colon(text, key, value))
        return TRUE;
    *why = "not an alias line (\"alias: address[, address...]\")";
    return FALSE;
}

/* Parses aliases. */
static gboolean
aliases_parse(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    return parse_lines(doc, text, len, error, aliases_split);
}

static const char *const aliases_files[] = {"aliases", NULL};

const MsmConfFormat msm_conf_format_aliases = {
    .name = "aliases",
    .description = "MTA aliases file",
    .files = aliases_files,
    .keys_case_insensitive = TRUE,
    .parse = aliases_parse,
    .render_entry = render_colon,
    .render_section = NULL,
};

/* ---- <channel>_headers.opt ---- */

/* Splits "Header-name: options". */
static gboolean
headers_split(const char *text, char **key, char **value, const char **why)
{
    if (split_colon(text, key, value))
        return TRUE;
    *why = "not a header option line (\"Header-name: OPTION=value, ...\")";
    return FALSE;
}

/* Parses a <channel>_headers.opt file. */
static gboolean
headers_parse(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    return parse_lines(doc, text, len, error, headers_split);
}

static const char *const headers_files[] = {"*_headers.opt", NULL};

const MsmConfFormat msm_conf_format_headers_opt = {
    .name = "headers.opt",
    .description = "MTA channel header option file (<channel>_headers.opt)",
    .files = headers_files,
    .keys_case_insensitive = TRUE,
    .parse = headers_parse,
    .render_entry = render_colon,
    .render_section = NULL,
};

/* ---- internet.rules ---- */

/* Splits "pattern action". */
static gboolean
rules_split(const char *text, char **key, char **value, const char **why)
{
    split_first_word(text, key, value);
    if (**value)
        return TRUE;
    g_free(*key);
    g_free(*value);
    *key = *value = NULL;
    *why = "not a rule (\"pattern action\")";
    return FALSE;
}

/* Parses internet.rules. */
static gboolean
rules_parse(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    return parse_lines(doc, text, len, error, rules_split);
}

/* Renders "pattern action". */
static char *
rules_render_entry(const MsmConfDoc *doc, const char *section, const char *key,
                   const char *value)
{
    const MsmConfNode *next;
    gboolean new_sec;
    Tail tail = msm_confdoc_find(doc, section, key) != NULL
                    ? TAIL_TEXT
                    : tail_for_new(doc, section, &next, &new_sec);
    GString *out = g_string_new(tail == TAIL_MIDLINE || tail == TAIL_CONT ? "\n" : "");
    append_line_limited(out, key, value ? value : "");
    g_string_append_c(out, '\n');
    return g_string_free(out, FALSE);
}

static const char *const rules_files[] = {"internet.rules", NULL};

const MsmConfFormat msm_conf_format_internet_rules = {
    .name = "internet.rules",
    .description = "MTA internet.rules (project model: pattern action lines)",
    .files = rules_files,
    .keys_case_insensitive = FALSE,
    .parse = rules_parse,
    .render_entry = rules_render_entry,
    .render_section = NULL,
};

/* ==== conversions ==== */

/* Splits entry text at ";" outside double quotes into trimmed parameters.
 * (transfer full: g_ptr_array_unref) */
static GPtrArray *
conv_split(const char *text)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    const char *b = text;
    gboolean q = FALSE;
    for (const char *p = text;; p++) {
        if (*p == '\\' && q && p[1]) {
            p++;
            continue;
        }
        if (*p == '"')
            q = !q;
        if (*p == '\0' || (*p == ';' && !q)) {
            char *s = g_strstrip(g_strndup(b, (gsize)(p - b)));
            if (*s)
                g_ptr_array_add(out, s);
            else
                g_free(s);
            if (*p == '\0')
                break;
            b = p + 1;
        }
    }
    return out;
}

/* The identity of an entry: its matching parameters, or NULL (with why). */
static char *
conv_identity(const char *text, const char **why)
{
    static const char *const order[] = {"in-chan", "out-chan", "in-type", "in-subtype"};
    GPtrArray *params = conv_split(text);
    char *found[G_N_ELEMENTS(order)] = {NULL};
    GString *extra = g_string_new(NULL);
    gboolean ok = TRUE;
    for (guint k = 0; k < params->len && ok; k++) {
        const char *p = params->pdata[k];
        const char *eq = strchr(p, '=');
        if (eq == NULL || eq == p) {
            *why = "a conversion parameter is not name=value";
            ok = FALSE;
            break;
        }
        char *name = g_ascii_strdown(p, eq - p);
        g_strstrip(name);
        char *val = g_strstrip(g_strdup(eq + 1));
        gsize vl = strlen(val);
        if (*val == '"') {
            if (vl < 2 || val[vl - 1] != '"') {
                *why = "a conversion parameter has an unterminated quoted value";
                ok = FALSE;
            } else {
                /* MIME quoting: drop the quotes and backslash escapes */
                GString *u = g_string_new(NULL);
                for (gsize c = 1; c + 1 < vl; c++) {
                    if (val[c] == '\\' && c + 2 < vl)
                        c++;
                    g_string_append_c(u, val[c]);
                }
                g_free(val);
                val = g_string_free(u, FALSE);
            }
        }
        gboolean placed = FALSE;
        for (guint o = 0; o < G_N_ELEMENTS(order) && ok; o++)
            if (strcmp(name, order[o]) == 0 && found[o] == NULL) {
                found[o] = g_strdup_printf("%s=%s", name, val);
                placed = TRUE;
            }
        if (ok && !placed && g_str_has_prefix(name, "in-"))
            g_string_append_printf(extra, "; %s=%s", name, val);
        g_free(name);
        g_free(val);
    }
    GString *id = g_string_new(NULL);
    for (guint o = 0; o < G_N_ELEMENTS(order); o++) {
        if (found[o])
            g_string_append_printf(id, "%s%s", id->len ? "; " : "", found[o]);
        g_free(found[o]);
    }
    if (extra->len)
        g_string_append(id, id->len ? extra->str : extra->str + 2);
    g_string_free(extra, TRUE);
    g_ptr_array_unref(params);
    if (ok && id->len == 0) {
        *why = "a conversion entry without in-chan, out-chan, in-type or in-subtype";
        ok = FALSE;
    }
    return g_string_free(id, !ok);
}

/* TRUE when the line's text (trimmed) ends with ";". */
static gboolean
line_semicolon(const MsmConfLine *l)
{
    gsize e = l->text_len;
    while (e > 0 && (is_ws(l->start[e - 1]) || l->start[e - 1] == '\r'))
        e--;
    return e > 0 && l->start[e - 1] == ';';
}

/* Parses one conversion entry at i: lines joined by a trailing ";" or "\",
 * comment lines inside it kept in its raw. Returns lines used. */
static guint
conv_entry(Reader *r, guint i)
{
    guint total = r->lines->len, k = i;
    GString *value = g_string_new(NULL);
    for (;;) {
        const MsmConfLine *l = rline(r, k);
        gboolean bs = line_continues(l) && k + 1 < total;
        GString *piece = g_string_new(NULL);
        join_one(piece, l, bs, TRUE);
        if (!bs) {
            g_strchomp(piece->str);
            piece->len = strlen(piece->str);
        }
        if (value->len && value->str[value->len - 1] == ';')
            g_string_append_c(value, ' ');
        g_string_append(value, piece->str);
        g_string_free(piece, TRUE);
        if (!bs && !line_semicolon(l))
            break;
        guint j = k + 1;
        while (j < total && line_comment(r, rline(r, j)))
            j++;
        if (j >= total || line_blank(rline(r, j)) || line_include(rline(r, j)))
            break;
        k = j;
    }
    guint n = k - i + 1;
    const char *why = NULL;
    char *id = conv_identity(value->str, &why);
    if (line_indented(rline(r, i)))
        emit_verbatim(r, i, n, "", "a conversion entry must start in column 1");
    else if (id)
        emit(r, MSM_CONF_ENTRY, i, n, "", id, value->str);
    else
        emit_verbatim(r, i, n, "", why);
    g_free(id);
    g_string_free(value, TRUE);
    return n;
}

/* Parses conversions: entries separated by blank lines. */
static gboolean
conv_parse(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    Reader r;
    if (!reader_init(&r, doc, text, len, error))
        return FALSE;
    guint i = 0, total = r.lines->len;
    while (i < total) {
        guint used = emit_common(&r, i, "");
        i += used ? used : conv_entry(&r, i);
    }
    g_array_unref(r.lines);
    return TRUE;
}

/* Renders an entry: parameters packed into lines ending with ";", a new
 * entry separated from the one before by a blank line. */
static char *
conv_render_entry(const MsmConfDoc *doc, const char *section, const char *key,
                  const char *value)
{
    const MsmConfNode *next;
    gboolean new_sec;
    gboolean exists = msm_confdoc_find(doc, section, key) != NULL;
    Tail tail = exists ? TAIL_TEXT : tail_for_new(doc, section, &next, &new_sec);
    GString *out = g_string_new(NULL);
    if (!exists)
        g_string_append(out, tail == TAIL_TEXT || tail == TAIL_CONT ? "\n"
                             : tail == TAIL_MIDLINE ? "\n\n"
                                                    : "");
    GPtrArray *params = conv_split(value && *value ? value : key);
    gsize line_start = out->len;
    for (guint k = 0; k < params->len; k++) {
        const char *p = params->pdata[k];
        gsize col = out->len - line_start;
        if (k > 0 && col + 2 + strlen(p) > MTA_WRAP) {
            g_string_append(out, ";\n");
            line_start = out->len;
        } else if (k > 0) {
            g_string_append(out, "; ");
        }
        g_string_append(out, p);
    }
    g_string_append_c(out, '\n');
    g_ptr_array_unref(params);
    return g_string_free(out, FALSE);
}

static const char *const conv_files[] = {"conversions", NULL};

const MsmConfFormat msm_conf_format_conversions = {
    .name = "conversions",
    .description = "MTA conversion entries",
    .files = conv_files,
    .keys_case_insensitive = FALSE,
    .parse = conv_parse,
    .render_entry = conv_render_entry,
    .render_section = NULL,
};
