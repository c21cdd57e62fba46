/*
 * NAME
 *	conf-other.c - lossless parsers of the SIMS, MMP, Unified Configuration
 *	and NMS 4.x LDIF configuration files
 * SUMMARY
 *	Five formats of <msmigrate/confdoc.h>:
 *
 *	    sims.cnf        "key value" lines (sims.cnf, simsr.cnf, ims.cnf)
 *	    mmp.cfg         "scope:Key value" lines (*Service.cfg, *Service-def.cfg)
 *	    config.xml      the Unified Configuration file, in the project's model
 *	    restricted.cnf  "key=value" lines of Unified Configuration
 *	    nsmsgcfg.ldif   NMS 4.x nsmsgCfg* entries exported as LDIF
 *
 *	Each format's grammar, identities and rendering are documented in
 *	docs/formats/conf-<name>.md; this file follows those pages.
 * DESCRIPTION
 *	Every parser works on physical lines (msm_conf_split_lines()) and adds
 *	one node per line, or per group of lines that form one construct (an
 *	LDIF line with its continuation lines, an XML comment over several
 *	lines), so the nodes always cover the input exactly. A key that occurs
 *	again gets the identity "key#2", "key#3", ... in order of appearance
 *	(an LDIF key counts per DN); render_entry drops the "#N".
 * DIAGNOSTICS
 *	A line outside a format's grammar is kept as a VERBATIM node with a
 *	warning "name:line: ...". A NUL byte fails the parse with
 *	MSM_ERROR_PARSE naming "name:line".
 */
#include "config.h"

#include <msmigrate/confdoc.h>
#include <msmigrate/error.h>

#include <string.h>

#define LDIF_FOLD_COLUMN 76

/* ---------------------------------------------------------------------- */
/* shared helpers */

/* Fails with MSM_ERROR_PARSE naming the line when text holds a NUL byte. */
static gboolean
check_no_nul(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    const char *nul = memchr(text, '\0', len);
    if (nul == NULL)
        return TRUE;
    guint line = 1;
    for (const char *p = text; p < nul; p++)
        line += *p == '\n';
    g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                "%s:%u: a NUL byte: not a text file of the %s format", msm_confdoc_name(doc), line,
                msm_confdoc_format(doc)->name);
    return FALSE;
}

/* TRUE for the white space that separates fields on a line. */
static gboolean
is_blank_char(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Advances *p over white space up to end. */
static const char *
skip_blank(const char *p, const char *end)
{
    while (p < end && is_blank_char(*p))
        p++;
    return p;
}

/* Moves end back over trailing white space, not before start. */
static const char *
trim_end(const char *start, const char *end)
{
    while (end > start && is_blank_char(end[-1]))
        end--;
    return end;
}

/* TRUE for a character of a simple option or scope name. */
static gboolean
is_name_char(char c)
{
    return g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.';
}

/* TRUE when [p, end) is a non-empty simple name. */
static gboolean
is_simple_name(const char *p, const char *end)
{
    if (p >= end)
        return FALSE;
    for (; p < end; p++)
        if (!is_name_char(*p))
            return FALSE;
    return TRUE;
}

/* The identity of the next occurrence of key: key, then key#2, key#3 ... (transfer full) */
static char *
numbered_key(GHashTable *seen, const char *key, gboolean fold)
{
    char *id = fold ? g_ascii_strdown(key, -1) : g_strdup(key);
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(seen, id)) + 1;
    g_hash_table_replace(seen, id, GUINT_TO_POINTER(n));
    return n == 1 ? g_strdup(key) : g_strdup_printf("%s#%u", key, n);
}

/* A table for numbered_key(). (transfer full) */
static GHashTable *
seen_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

/* key without a trailing "#N" occurrence number. (transfer full) */
static char *
base_key(const char *key)
{
    const char *hash = strrchr(key, '#');
    if (hash && hash > key && hash[1] >= '1' && hash[1] <= '9') {
        const char *p = hash + 1;
        while (g_ascii_isdigit(*p))
            p++;
        if (*p == '\0')
            return g_strndup(key, (gsize)(hash - key));
    }
    return g_strdup(key);
}

/* The key to write: an existing entry's own spelling (its case as written, without
 * "#N"), else key without "#N". (transfer full) */
static char *
spelled_key(const MsmConfDoc *doc, const char *section, const char *key)
{
    const MsmConfNode *n = msm_confdoc_find(doc, section ? section : "", key);
    return base_key(n ? n->key : key);
}

/* value with CR and LF replaced by spaces: a line format cannot hold them. (transfer full) */
static char *
one_line(const char *value)
{
    char *v = g_strdup(value ? value : "");
    for (char *p = v; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return v;
}

/* Adds one physical line as a node. */
static MsmConfNode *
add_line(MsmConfDoc *doc, MsmConfNodeType type, const MsmConfLine *l, guint lineno,
         const char *section, const char *key, const char *value)
{
    return msm_confdoc_add_node(doc, type, l->start, l->len, lineno, 1, section, key, value);
}

/* Adds lines [first, last) of lines as one node. */
static MsmConfNode *
add_lines(MsmConfDoc *doc, MsmConfNodeType type, GArray *lines, guint first, guint last,
          const char *section, const char *key, const char *value)
{
    const MsmConfLine *a = &g_array_index(lines, MsmConfLine, first);
    const MsmConfLine *b = &g_array_index(lines, MsmConfLine, last - 1);
    gsize len = (gsize)(b->start + b->len - a->start);
    return msm_confdoc_add_node(doc, type, a->start, len, first + 1, last - first, section, key,
                                value);
}

/* ---------------------------------------------------------------------- */
/* sims.cnf: "key value" */

/* What a line classifier found on an entry line. */
typedef struct {
    char *section; /* NULL: top level */
    char *key;
    char *value;
} LineEntry;

/* Classifies one line (p..end: leading blanks skipped, neither blank nor a comment).
 * TRUE with *e filled for an entry; FALSE with *why (transfer full) for a line
 * kept verbatim. */
typedef gboolean (*LineClassify)(const char *p, const char *end, LineEntry *e, char **why);

/* The loop shared by the one-line formats: blank lines, comment lines starting
 * with one of comment_chars, entries; repeated identities numbered "#2", "#3"
 * (per section, case folded when fold). */
static gboolean
parse_simple_lines(MsmConfDoc *doc, const char *text, gsize len, GError **error,
                   const char *comment_chars, gboolean fold, LineClassify classify)
{
    if (!check_no_nul(doc, text, len, error))
        return FALSE;
    GArray *lines = msm_conf_split_lines(text, len);
    GHashTable *seen = seen_new();
    for (guint i = 0; i < lines->len; i++) {
        const MsmConfLine *l = &g_array_index(lines, MsmConfLine, i);
        const char *end = l->start + l->text_len;
        const char *p = skip_blank(l->start, end);
        if (p == end) {
            add_line(doc, MSM_CONF_BLANK, l, i + 1, "", NULL, NULL);
            continue;
        }
        if (strchr(comment_chars, *p)) {
            add_line(doc, MSM_CONF_COMMENT, l, i + 1, "", NULL, NULL);
            continue;
        }
        LineEntry e = {0};
        char *why = NULL;
        if (!classify(p, end, &e, &why)) {
            add_line(doc, MSM_CONF_VERBATIM, l, i + 1, "", NULL, NULL);
            msm_confdoc_warn(doc, i + 1, "%s", why);
            g_free(why);
            continue;
        }
        char *full = e.section ? g_strdup_printf("%s:%s", e.section, e.key) : g_strdup(e.key);
        char *numbered = numbered_key(seen, full, fold);
        char *id = g_strconcat(e.key, numbered + strlen(full), NULL);
        add_line(doc, MSM_CONF_ENTRY, l, i + 1, e.section ? e.section : "", id, e.value);
        g_free(id);
        g_free(numbered);
        g_free(full);
        g_free(e.section);
        g_free(e.key);
        g_free(e.value);
    }
    g_hash_table_unref(seen);
    g_array_unref(lines);
    return TRUE;
}

/* sims.cnf: "key value". */
static gboolean
sims_classify(const char *p, const char *end, LineEntry *e, char **why)
{
    const char *k = p;
    while (p < end && !is_blank_char(*p))
        p++;
    if (!is_simple_name(k, p)) {
        *why = g_strdup_printf("\"%.*s\" is not a sims.cnf parameter name: kept as it is",
                               (int)(p - k), k);
        return FALSE;
    }
    e->key = g_strndup(k, (gsize)(p - k));
    const char *v = skip_blank(p, end);
    e->value = g_strndup(v, (gsize)(trim_end(v, end) - v));
    return TRUE;
}

/* Parses SIMS .cnf lines (docs/formats/conf-sims-cnf.md). */
static gboolean
sims_parse(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    return parse_simple_lines(doc, text, len, error, "#", FALSE, sims_classify);
}

/* "key value\n" ("key\n" for an empty value). */
static char *
sims_render_entry(const MsmConfDoc *doc, const char *section, const char *key, const char *value)
{
    char *k = spelled_key(doc, section, key);
    char *v = one_line(value);
    char *out = *v ? g_strdup_printf("%s %s\n", k, v) : g_strdup_printf("%s\n", k);
    g_free(v);
    g_free(k);
    return out;
}

static const char *const sims_files[] = {"sims.cnf", "simsr.cnf", "ims.cnf", NULL};

const MsmConfFormat msm_conf_format_sims_cnf = {
    .name = "sims.cnf",
    .description = "SIMS 4.0 component configuration (\"key value\" lines)",
    .files = sims_files,
    .keys_case_insensitive = FALSE,
    .parse = sims_parse,
    .render_entry = sims_render_entry,
    .render_section = NULL,
};

/* ---------------------------------------------------------------------- */
/* mmp.cfg: "scope:Key value" */

/* mmp.cfg: "scope:Option value". */
static gboolean
mmp_classify(const char *p, const char *end, LineEntry *e, char **why)
{
    const char *tok = p;
    while (p < end && !is_blank_char(*p))
        p++;
    const char *colon = memchr(tok, ':', (gsize)(p - tok));
    if (colon == NULL || !is_simple_name(tok, colon) || !is_simple_name(colon + 1, p)) {
        *why = g_strdup_printf("\"%.*s\" is not \"scope:Option\": kept as it is",
                               (int)(p - tok), tok);
        return FALSE;
    }
    e->section = g_strndup(tok, (gsize)(colon - tok));
    e->key = g_strndup(colon + 1, (gsize)(p - colon - 1));
    const char *v = skip_blank(p, end);
    e->value = g_strndup(v, (gsize)(trim_end(v, end) - v));
    return TRUE;
}

/* Parses MMP *.cfg lines (docs/formats/conf-mmp-cfg.md). */
static gboolean
mmp_parse(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    return parse_simple_lines(doc, text, len, error, "#!", TRUE, mmp_classify);
}

/* "scope:Key value\n"; "Key value\n" at the top level (no scope). */
static char *
mmp_render_entry(const MsmConfDoc *doc, const char *section, const char *key, const char *value)
{
    char *k = spelled_key(doc, section, key);
    char *v = one_line(value);
    GString *s = g_string_new(NULL);
    if (section && *section)
        g_string_append_printf(s, "%s:", section);
    g_string_append(s, k);
    if (*v)
        g_string_append_printf(s, " %s", v);
    g_string_append_c(s, '\n');
    g_free(v);
    g_free(k);
    return g_string_free(s, FALSE);
}

/* A scope has no header line: a new scope starts with its first entry. */
static char *
mmp_render_section(const MsmConfDoc *doc, const char *section)
{
    (void)doc;
    (void)section;
    return g_strdup("");
}

static const char *const mmp_files[] = {"*Service.cfg", "*Service-def.cfg", "AService.cfg", NULL};

const MsmConfFormat msm_conf_format_mmp_cfg = {
    .name = "mmp.cfg",
    .description = "Messaging Multiplexor configuration (\"scope:Option value\" lines)",
    .files = mmp_files,
    .keys_case_insensitive = TRUE,
    .parse = mmp_parse,
    .render_entry = mmp_render_entry,
    .render_section = mmp_render_section,
};

/* ---------------------------------------------------------------------- */
/* restricted.cnf: "key=value" */

/* restricted.cnf: "option=value". */
static gboolean
restricted_classify(const char *p, const char *end, LineEntry *e, char **why)
{
    const char *eq = memchr(p, '=', (gsize)(end - p));
    const char *kend = eq ? trim_end(p, eq) : end;
    gboolean ok = eq != NULL && kend > p;
    for (const char *c = p; ok && c < kend; c++)
        ok = is_name_char(*c) || *c == ':';
    if (!ok) {
        *why = g_strdup("not \"option=value\": kept as it is");
        return FALSE;
    }
    e->key = g_strndup(p, (gsize)(kend - p));
    const char *v = skip_blank(eq + 1, end);
    e->value = g_strndup(v, (gsize)(trim_end(v, end) - v));
    return TRUE;
}

/* Parses restricted.cnf lines (docs/formats/conf-restricted-cnf.md). */
static gboolean
restricted_parse(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    return parse_simple_lines(doc, text, len, error, "!#", TRUE, restricted_classify);
}

/* "key=value\n". */
static char *
restricted_render_entry(const MsmConfDoc *doc, const char *section, const char *key,
                        const char *value)
{
    char *k = spelled_key(doc, section, key);
    char *v = one_line(value);
    char *out = g_strdup_printf("%s=%s\n", k, v);
    g_free(v);
    g_free(k);
    return out;
}

static const char *const restricted_files[] = {"restricted.cnf", NULL};

const MsmConfFormat msm_conf_format_restricted_cnf = {
    .name = "restricted.cnf",
    .description = "Unified Configuration security options (\"option=value\" lines)",
    .files = restricted_files,
    .keys_case_insensitive = TRUE,
    .parse = restricted_parse,
    .render_entry = restricted_render_entry,
    .render_section = NULL,
};

/* ---------------------------------------------------------------------- */
/* config.xml: the project's element model */

typedef enum {
    XL_BLANK,
    XL_DECL,         /* <?xml ...?> */
    XL_COMMENT,      /* <!-- ... --> on one line */
    XL_COMMENT_OPEN, /* <!-- without --> on the line */
    XL_ROOT_OPEN,    /* <configuration ...> */
    XL_ROOT_CLOSE,   /* </configuration> */
    XL_GROUP_OPEN,   /* <group name="N"> */
    XL_GROUP_EMPTY,  /* <group name="N"/> */
    XL_GROUP_BAD,    /* a <group ...> open tag outside the model */
    XL_GROUP_CLOSE,  /* </group> */
    XL_OPTION,       /* <option name="N" value="V"/> */
    XL_OTHER,
} XmlLineKind;

/* One level of open groups: name NULL when the tag is outside the model. */
typedef struct {
    char *name;
    char *open_tag; /* the tag as written, without surrounding white space */
} XmlGroup;

/* Frees an XmlGroup. */
static void
xml_group_free(gpointer p)
{
    XmlGroup *g = p;
    g_free(g->name);
    g_free(g->open_tag);
    g_free(g);
}

/* Unescapes an attribute value; NULL when it holds '<', a bare '&' or an unknown
 * reference. (transfer full) */
static char *
xml_unescape(const char *p, gsize len)
{
    static const struct {
        const char *ref;
        char c;
    } refs[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    GString *out = g_string_sized_new(len);
    const char *end = p + len;
    while (p < end) {
        if (*p == '<')
            goto bad;
        if (*p != '&') {
            g_string_append_c(out, *p++);
            continue;
        }
        gboolean found = FALSE;
        for (guint i = 0; i < G_N_ELEMENTS(refs) && !found; i++) {
            gsize n = strlen(refs[i].ref);
            if ((gsize)(end - p) >= n && memcmp(p, refs[i].ref, n) == 0) {
                g_string_append_c(out, refs[i].c);
                p += n;
                found = TRUE;
            }
        }
        if (found)
            continue;
        if (end - p > 3 && p[1] == '#') {
            const char *q = p + 2;
            gboolean hex = *q == 'x';
            q += hex;
            const char *digits = q;
            guint64 cp = 0;
            while (q < end && (hex ? g_ascii_isxdigit(*q) : g_ascii_isdigit(*q)) && cp <= 0x10FFFF)
                cp = cp * (hex ? 16 : 10) +
                     (guint64)(hex ? g_ascii_xdigit_value(*q++) : g_ascii_digit_value(*q++));
            if (q > digits && q < end && *q == ';' && cp > 0 && cp <= 0x10FFFF &&
                g_unichar_validate((gunichar)cp)) {
                g_string_append_unichar(out, (gunichar)cp);
                p = q + 1;
                continue;
            }
        }
        goto bad;
    }
    return g_string_free(out, FALSE);
bad:
    g_string_free(out, TRUE);
    return NULL;
}

/* Escapes & < > " ' for an attribute value. (transfer full) */
static char *
xml_escape(const char *s)
{
    GString *out = g_string_new(NULL);
    for (; *s; s++) {
        switch (*s) {
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '"':
            g_string_append(out, "&quot;");
            break;
        case '\'':
            g_string_append(out, "&apos;");
            break;
        case '\n':
            g_string_append(out, "&#10;");
            break;
        case '\r':
            g_string_append(out, "&#13;");
            break;
        case '\t':
            g_string_append(out, "&#9;");
            break;
        default:
            g_string_append_c(out, *s);
            break;
        }
    }
    return g_string_free(out, FALSE);
}

/* TRUE for an XML name character (ASCII subset). */
static gboolean
xml_name_char(char c)
{
    return g_ascii_isalnum(c) || c == '_' || c == ':' || c == '-' || c == '.';
}

/* TRUE for a model name (of an option or group): non-empty, no '#', '<', '&' or space. */
static gboolean
xml_model_name_ok(const char *s)
{
    if (*s == '\0')
        return FALSE;
    for (; *s; s++)
        if (*s == '#' || is_blank_char(*s) || *s == '\n')
            return FALSE;
    return TRUE;
}

/* Classifies the trimmed line [p, end). For XL_GROUP_OPEN/EMPTY sets *name, for
 * XL_OPTION *name and *value (transfer full). */
static XmlLineKind
xml_classify(const char *p, const char *end, char **name, char **value)
{
    *name = *value = NULL;
    gsize n = (gsize)(end - p);
    if (n == 0)
        return XL_BLANK;
    if (n >= 4 && memcmp(p, "<!--", 4) == 0) {
        const char *close = g_strstr_len(p + 4, (gssize)(n - 4), "-->");
        if (close == NULL)
            return XL_COMMENT_OPEN;
        return close + 3 == end ? XL_COMMENT : XL_OTHER;
    }
    if (n >= 7 && memcmp(p, "<?xml", 5) == 0 && (is_blank_char(p[5]) || p[5] == '?') &&
        memcmp(end - 2, "?>", 2) == 0)
        return XL_DECL;
    if (n >= 3 && p[0] == '<' && p[1] == '/' && end[-1] == '>') {
        const char *a = p + 2, *b = trim_end(a, end - 1);
        if ((gsize)(b - a) == 13 && memcmp(a, "configuration", 13) == 0)
            return XL_ROOT_CLOSE;
        if ((gsize)(b - a) == 5 && memcmp(a, "group", 5) == 0)
            return XL_GROUP_CLOSE;
        return XL_OTHER;
    }
    if (p[0] != '<')
        return XL_OTHER;
    const char *q = p + 1;
    while (q < end && xml_name_char(*q))
        q++;
    gsize elen = (gsize)(q - p - 1);
    gboolean is_group = elen == 5 && memcmp(p + 1, "group", 5) == 0;
    gboolean is_option = elen == 6 && memcmp(p + 1, "option", 6) == 0;
    gboolean is_root = elen == 13 && memcmp(p + 1, "configuration", 13) == 0;
    gboolean self_closing = end - p >= 2 && end[-2] == '/' && end[-1] == '>';
    XmlLineKind bad = is_group && !self_closing ? XL_GROUP_BAD : XL_OTHER;
    if (elen == 0)
        return XL_OTHER;
    /* attributes */
    char *aname = NULL, *avalue = NULL;
    guint nattr = 0;
    gboolean closed = FALSE;
    while (q < end) {
        const char *ws = q;
        q = skip_blank(q, end);
        if (q < end && *q == '>' && q + 1 == end) {
            closed = TRUE;
            break;
        }
        if (q + 1 < end && q[0] == '/' && q[1] == '>' && q + 2 == end) {
            closed = TRUE;
            break;
        }
        if (q == ws)
            break; /* attributes need white space before them */
        const char *an = q;
        while (q < end && xml_name_char(*q))
            q++;
        if (q == an)
            break;
        gsize anlen = (gsize)(q - an);
        q = skip_blank(q, end);
        if (q >= end || *q != '=')
            break;
        q = skip_blank(q + 1, end);
        if (q >= end || (*q != '"' && *q != '\''))
            break;
        char quote = *q++;
        const char *av = q;
        while (q < end && *q != quote)
            q++;
        if (q >= end)
            break;
        char *val = xml_unescape(av, (gsize)(q - av));
        q++;
        if (val == NULL)
            break;
        nattr++;
        if (anlen == 4 && memcmp(an, "name", 4) == 0 && aname == NULL) {
            aname = val;
        } else if (anlen == 5 && memcmp(an, "value", 5) == 0 && avalue == NULL) {
            avalue = val;
        } else if (is_root) {
            g_free(val); /* the root element may carry any attributes */
        } else {
            g_free(val);
            nattr = 99;
        }
    }
    XmlLineKind kind = bad;
    if (!closed) {
        kind = bad;
    } else if (is_root && !self_closing) {
        kind = XL_ROOT_OPEN;
    } else if (is_group && nattr == 1 && aname && xml_model_name_ok(aname)) {
        kind = self_closing ? XL_GROUP_EMPTY : XL_GROUP_OPEN;
        *name = g_steal_pointer(&aname);
    } else if (is_option && self_closing && nattr == 2 && aname && avalue &&
               xml_model_name_ok(aname)) {
        kind = XL_OPTION;
        *name = g_steal_pointer(&aname);
        *value = g_steal_pointer(&avalue);
    }
    g_free(aname);
    g_free(avalue);
    return kind;
}

/* The dotted path of the open groups, or NULL if one is outside the model. (transfer full) */
static char *
xml_path(GPtrArray *stack, guint depth)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < depth; i++) {
        const XmlGroup *g = stack->pdata[i];
        if (g->name == NULL) {
            g_string_free(s, TRUE);
            return NULL;
        }
        if (i)
            g_string_append_c(s, '.');
        g_string_append(s, g->name);
    }
    return g_string_free(s, FALSE);
}

/* path + "." + name, or name at the top level. (transfer full) */
static char *
xml_join(const char *path, const char *name)
{
    return *path ? g_strconcat(path, ".", name, NULL) : g_strdup(name);
}

/* Pushes a group level. */
static void
xml_push(GPtrArray *stack, const char *name, const char *tag, gsize taglen)
{
    XmlGroup *g = g_new0(XmlGroup, 1);
    g->name = g_strdup(name);
    g->open_tag = g_strndup(tag, taglen);
    g_ptr_array_add(stack, g);
}

/* Parses config.xml in the project's model (docs/formats/conf-config-xml.md). */
static gboolean
xml_parse(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    if (!check_no_nul(doc, text, len, error))
        return FALSE;
    GArray *lines = msm_conf_split_lines(text, len);
    GHashTable *seen = seen_new();
    GPtrArray *stack = g_ptr_array_new_with_free_func(xml_group_free);
    int root = 0; /* 0 before <configuration>, 1 inside, 2 after </configuration> */
    for (guint i = 0; i < lines->len; i++) {
        const MsmConfLine *l = &g_array_index(lines, MsmConfLine, i);
        const char *p = skip_blank(l->start, l->start + l->text_len);
        const char *end = trim_end(p, l->start + l->text_len);
        char *name = NULL, *value = NULL;
        XmlLineKind kind = xml_classify(p, end, &name, &value);
        char *path = xml_path(stack, stack->len);
        gboolean in_model = root == 1 && path != NULL;
        switch (kind) {
        case XL_BLANK:
            add_line(doc, MSM_CONF_BLANK, l, i + 1, "", NULL, NULL);
            break;
        case XL_DECL:
        case XL_COMMENT:
            add_line(doc, MSM_CONF_COMMENT, l, i + 1, "", NULL, NULL);
            break;
        case XL_COMMENT_OPEN: {
            guint j = i + 1;
            const char *close = NULL;
            const MsmConfLine *m = NULL;
            for (; j < lines->len && close == NULL; j++) {
                m = &g_array_index(lines, MsmConfLine, j);
                close = g_strstr_len(m->start, (gssize)m->text_len, "-->");
            }
            if (close && skip_blank(close + 3, m->start + m->text_len) == m->start + m->text_len) {
                add_lines(doc, MSM_CONF_COMMENT, lines, i, j, "", NULL, NULL);
            } else {
                add_lines(doc, MSM_CONF_VERBATIM, lines, i, j, "", NULL, NULL);
                msm_confdoc_warn(doc, i + 1,
                                 close ? "text after the end of a comment: kept as it is"
                                       : "comment not closed: kept as it is");
            }
            i = j - 1;
            break;
        }
        case XL_ROOT_OPEN:
            if (root == 0) {
                add_line(doc, MSM_CONF_SECTION, l, i + 1, "", "", NULL);
                root = 1;
            } else {
                add_line(doc, MSM_CONF_VERBATIM, l, i + 1, "", NULL, NULL);
                msm_confdoc_warn(doc, i + 1, "a second <configuration> element: kept as it is");
            }
            break;
        case XL_ROOT_CLOSE:
            add_line(doc, MSM_CONF_VERBATIM, l, i + 1, "", NULL, NULL);
            if (root == 1 && stack->len == 0)
                root = 2;
            else
                msm_confdoc_warn(doc, i + 1, "</configuration> out of place: kept as it is");
            break;
        case XL_GROUP_OPEN:
        case XL_GROUP_EMPTY:
            if (in_model) {
                char *full = xml_join(path, name);
                add_line(doc, MSM_CONF_SECTION, l, i + 1, "", full, NULL);
                g_free(full);
            } else {
                add_line(doc, MSM_CONF_VERBATIM, l, i + 1, "", NULL, NULL);
                msm_confdoc_warn(doc, i + 1,
                                 "<group> outside <configuration> or inside a group outside "
                                 "the model: kept as it is");
            }
            if (kind == XL_GROUP_OPEN)
                xml_push(stack, in_model ? name : NULL, p, (gsize)(end - p));
            break;
        case XL_GROUP_BAD:
            add_line(doc, MSM_CONF_VERBATIM, l, i + 1, "", NULL, NULL);
            msm_confdoc_warn(doc, i + 1,
                             "a <group> tag outside the model (one attribute \"name\"): kept as "
                             "it is, with the options inside it");
            xml_push(stack, NULL, p, (gsize)(end - p));
            break;
        case XL_GROUP_CLOSE:
            add_line(doc, MSM_CONF_VERBATIM, l, i + 1, "", NULL, NULL);
            if (stack->len)
                g_ptr_array_remove_index(stack, stack->len - 1);
            else
                msm_confdoc_warn(doc, i + 1, "</group> without <group>: kept as it is");
            break;
        case XL_OPTION:
            if (in_model) {
                char *full = xml_join(path, name);
                char *id = numbered_key(seen, full, TRUE);
                add_line(doc, MSM_CONF_ENTRY, l, i + 1, "", id, value);
                g_free(id);
                g_free(full);
            } else {
                add_line(doc, MSM_CONF_VERBATIM, l, i + 1, "", NULL, NULL);
                msm_confdoc_warn(doc, i + 1,
                                 "<option> outside <configuration> or inside a group outside "
                                 "the model: kept as it is");
            }
            break;
        case XL_OTHER:
            add_line(doc, MSM_CONF_VERBATIM, l, i + 1, "", NULL, NULL);
            msm_confdoc_warn(doc, i + 1, "not an element of the config.xml model: kept as it is");
            break;
        }
        g_free(path);
        g_free(name);
        g_free(value);
    }
    if (root == 1 && lines->len)
        msm_confdoc_warn(doc, lines->len, "<configuration> not closed at the end of the file");
    g_ptr_array_unref(stack);
    g_hash_table_unref(seen);
    g_array_unref(lines);
    return TRUE;
}

/* The open groups after nodes [0, upto) of doc, read back from their bytes. (transfer full) */
static GPtrArray *
xml_stack_at(const MsmConfDoc *doc, guint upto)
{
    GPtrArray *stack = g_ptr_array_new_with_free_func(xml_group_free);
    for (guint i = 0; i < upto; i++) {
        const MsmConfNode *n = msm_confdoc_node(doc, i);
        if (n->type == MSM_CONF_COMMENT || n->type == MSM_CONF_BLANK)
            continue;
        GArray *lines = msm_conf_split_lines(n->raw->str, n->raw->len);
        for (guint k = 0; k < lines->len; k++) {
            const MsmConfLine *l = &g_array_index(lines, MsmConfLine, k);
            const char *p = skip_blank(l->start, l->start + l->text_len);
            const char *end = trim_end(p, l->start + l->text_len);
            char *name = NULL, *value = NULL;
            XmlLineKind kind = xml_classify(p, end, &name, &value);
            char *path = xml_path(stack, stack->len);
            if (kind == XL_GROUP_OPEN || kind == XL_GROUP_BAD)
                xml_push(stack, path ? name : NULL, p, (gsize)(end - p));
            else if (kind == XL_GROUP_CLOSE && stack->len)
                g_ptr_array_remove_index(stack, stack->len - 1);
            g_free(path);
            g_free(name);
            g_free(value);
        }
        g_array_unref(lines);
    }
    return stack;
}

/* Appends the indentation of group depth depth: two spaces a level inside the root. */
static void
xml_indent(GString *s, guint depth)
{
    for (guint i = 0; i <= depth; i++)
        g_string_append(s, "  ");
}

/* Renders an option where msm_confdoc_set() will put it: relative to the innermost
 * open group whose path prefixes key, closing and reopening the groups that do not
 * (docs/formats/conf-config-xml.md, "Rendering"). */
static char *
xml_render_entry(const MsmConfDoc *doc, const char *section, const char *key, const char *value)
{
    section = section ? section : "";
    guint nn = msm_confdoc_n_nodes(doc);
    gint existing = -1, after = -1, header = -1, first_section = -1;
    for (guint k = 0; k < nn; k++) {
        const MsmConfNode *n = msm_confdoc_node(doc, k);
        gboolean same = g_ascii_strcasecmp(n->section ? n->section : "", section) == 0;
        if (n->type == MSM_CONF_SECTION && first_section < 0)
            first_section = (gint)k;
        if (n->type == MSM_CONF_SECTION && g_ascii_strcasecmp(n->key ? n->key : "", section) == 0)
            header = (gint)k;
        if (n->type == MSM_CONF_ENTRY && same) {
            if (existing < 0 && g_ascii_strcasecmp(n->key, key) == 0)
                existing = (gint)k;
            after = (gint)k;
        }
    }
    /* the node count before the new or changed line: as msm_confdoc_set() places it */
    guint upto;
    if (existing >= 0)
        upto = (guint)existing;
    else if (after >= 0)
        upto = (guint)after + 1;
    else if (header >= 0)
        upto = (guint)header + 1;
    else if (*section == '\0' && first_section >= 0)
        upto = (guint)first_section;
    else
        upto = nn;
    GPtrArray *stack = xml_stack_at(doc, upto);
    char *bkey = base_key(existing >= 0 ? msm_confdoc_node(doc, (guint)existing)->key : key);
    /* the deepest open group whose path prefixes the key */
    guint keep = 0;
    gsize prefix_len = 0;
    for (guint d = 1; d <= stack->len; d++) {
        char *path = xml_path(stack, d);
        if (path == NULL)
            break;
        gsize plen = strlen(path);
        if (g_ascii_strncasecmp(bkey, path, plen) == 0 && bkey[plen] == '.' && bkey[plen + 1]) {
            keep = d;
            prefix_len = plen + 1;
        }
        g_free(path);
    }
    GString *s = g_string_new(NULL);
    for (guint d = stack->len; d > keep; d--) {
        xml_indent(s, d - 1);
        g_string_append(s, "</group>\n");
    }
    if (existing >= 0 && keep == stack->len) {
        const MsmConfNode *n = msm_confdoc_node(doc, (guint)existing);
        const char *ws = n->raw->str;
        g_string_append_len(s, ws, (gssize)(skip_blank(ws, ws + n->raw->len) - ws));
    } else {
        xml_indent(s, keep);
    }
    char *ename = xml_escape(bkey + prefix_len);
    char *evalue = xml_escape(value ? value : "");
    g_string_append_printf(s, "<option name=\"%s\" value=\"%s\"/>\n", ename, evalue);
    for (guint d = keep; d < stack->len; d++) {
        const XmlGroup *g = stack->pdata[d];
        xml_indent(s, d);
        g_string_append_printf(s, "%s\n", g->open_tag);
    }
    g_free(evalue);
    g_free(ename);
    g_free(bkey);
    g_ptr_array_unref(stack);
    return g_string_free(s, FALSE);
}

static const char *const xml_files[] = {"config.xml", NULL};

const MsmConfFormat msm_conf_format_config_xml = {
    .name = "config.xml",
    .description = "Unified Configuration config.xml (the project's element model)",
    .files = xml_files,
    .keys_case_insensitive = TRUE,
    .parse = xml_parse,
    .render_entry = xml_render_entry,
    .render_section = NULL,
};

/* ---------------------------------------------------------------------- */
/* nsmsgcfg.ldif: NMS 4.x configuration entries as LDIF */

/* TRUE if value (len bytes) can be written as an RFC 2849 SAFE-STRING. */
static gboolean
ldif_is_safe(const char *v, gsize len)
{
    if (len == 0)
        return TRUE;
    if (v[0] == ' ' || v[0] == ':' || v[0] == '<' || v[len - 1] == ' ')
        return FALSE;
    for (gsize i = 0; i < len; i++)
        if (v[i] == 0 || v[i] == '\n' || v[i] == '\r' || (guchar)v[i] >= 0x80)
            return FALSE;
    return TRUE;
}

/* Appends "name: value" or "name:: BASE64", folded at 76 columns, with "\n". */
static void
ldif_append_line(GString *out, const char *name, const char *value)
{
    gsize vlen = strlen(value);
    GString *line = g_string_new(name);
    if (ldif_is_safe(value, vlen)) {
        g_string_append_c(line, ':');
        if (vlen)
            g_string_append_printf(line, " %s", value);
    } else {
        char *b64 = g_base64_encode((const guchar *)value, vlen);
        g_string_append_printf(line, ":: %s", b64);
        g_free(b64);
    }
    gsize first = MIN(line->len, (gsize)LDIF_FOLD_COLUMN);
    g_string_append_len(out, line->str, (gssize)first);
    g_string_append_c(out, '\n');
    for (gsize pos = first; pos < line->len;) {
        gsize n = MIN(line->len - pos, (gsize)LDIF_FOLD_COLUMN - 1);
        g_string_append_c(out, ' ');
        g_string_append_len(out, line->str + pos, (gssize)n);
        g_string_append_c(out, '\n');
        pos += n;
    }
    g_string_free(line, TRUE);
}

/* The section identity of a DN: ASCII lower case, no spaces after an unescaped comma,
 * no trailing spaces. (transfer full) */
static char *
ldif_dn_identity(const char *dn)
{
    GString *s = g_string_new(NULL);
    for (const char *p = dn; *p;) {
        if (*p == '\\' && p[1]) {
            g_string_append_c(s, p[0]);
            g_string_append_c(s, g_ascii_tolower(p[1]));
            p += 2;
        } else if (*p == ',') {
            g_string_append_c(s, ',');
            for (p++; *p == ' '; p++)
                ;
        } else {
            g_string_append_c(s, g_ascii_tolower(*p++));
        }
    }
    while (s->len && s->str[s->len - 1] == ' ' && !(s->len >= 2 && s->str[s->len - 2] == '\\'))
        g_string_truncate(s, s->len - 1);
    return g_string_free(s, FALSE);
}

/* Decodes strict BASE64 (RFC 4648 alphabet, padded) into a C string; NULL when it is
 * not BASE64 or decodes to a NUL byte. (transfer full) */
static char *
ldif_base64(const char *b64)
{
    gsize n = strlen(b64);
    if (n % 4 != 0)
        return NULL;
    for (gsize i = 0; i < n; i++) {
        char c = b64[i];
        gboolean pad = c == '=' && i >= n - 2 && (i == n - 1 || b64[n - 1] == '=');
        if (!(g_ascii_isalnum(c) || c == '+' || c == '/' || pad))
            return NULL;
    }
    gsize out_len = 0;
    guchar *raw = g_base64_decode(b64, &out_len);
    char *out = NULL;
    if (memchr(raw, '\0', out_len) == NULL)
        out = g_strndup((const char *)raw, out_len);
    g_free(raw);
    return out;
}

/* Splits a logical line "attr: v" / "attr:: b64" into a lower-case attribute name and
 * a value. Returns NULL on success, else why the line is outside the model. */
static const char *
ldif_split(const char *line, char **attr, char **value)
{
    *attr = *value = NULL;
    const char *colon = strchr(line, ':');
    if (colon == NULL)
        return "not \"attribute: value\"";
    char *name = g_strndup(line, (gsize)(colon - line));
    gboolean ok = g_ascii_isalpha(name[0]) || g_ascii_isdigit(name[0]);
    for (const char *c = name; ok && *c; c++)
        ok = g_ascii_isalnum(*c) || *c == '-' || *c == ';' || *c == '.';
    if (!ok) {
        g_free(name);
        return "not a valid attribute description";
    }
    const char *v = colon + 1;
    if (*v == '<') {
        g_free(name);
        return "URL values (\"attr:< url\") are not supported";
    }
    if (*v == ':') {
        for (v++; *v == ' '; v++)
            ;
        *value = ldif_base64(v);
        if (*value == NULL) {
            g_free(name);
            return "invalid BASE64 value (or one holding a NUL byte)";
        }
    } else {
        while (*v == ' ')
            v++;
        *value = g_strdup(v);
    }
    *attr = g_ascii_strdown(name, -1);
    g_free(name);
    return NULL;
}

/* Parses NMS configuration LDIF (docs/formats/conf-nsmsgcfg-ldif.md). */
static gboolean
ldif_parse(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    if (!check_no_nul(doc, text, len, error))
        return FALSE;
    GArray *lines = msm_conf_split_lines(text, len);
    /* occurrence numbers per DN, so a DN written in two records keeps distinct keys */
    GHashTable *seen_by_dn =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
    GHashTable *seen = NULL; /* the current DN's, owned by seen_by_dn */
    char *dn = NULL;         /* identity of the record being read */
    gboolean in_record = FALSE, skip_record = FALSE, any_record = FALSE;
    guint i = 0;
    while (i < lines->len) {
        const MsmConfLine *l = &g_array_index(lines, MsmConfLine, i);
        if (l->text_len == 0) {
            add_line(doc, MSM_CONF_BLANK, l, i + 1, "", NULL, NULL);
            in_record = FALSE;
            i++;
            continue;
        }
        /* the logical line: this line and its continuation lines */
        guint j = i + 1;
        GString *logical = g_string_new_len(l->start, (gssize)l->text_len);
        for (; j < lines->len; j++) {
            const MsmConfLine *c = &g_array_index(lines, MsmConfLine, j);
            if (c->text_len == 0 || c->start[0] != ' ')
                break;
            g_string_append_len(logical, c->start + 1, (gssize)c->text_len - 1);
        }
        const char *section = in_record && dn ? dn : "";
        if (l->start[0] == ' ') {
            add_lines(doc, MSM_CONF_VERBATIM, lines, i, j, section, NULL, NULL);
            msm_confdoc_warn(doc, i + 1,
                             "a continuation line with no line before it: kept as it is");
        } else if (l->start[0] == '#') {
            add_lines(doc, MSM_CONF_COMMENT, lines, i, j, section, NULL, NULL);
        } else if (in_record && skip_record) {
            add_lines(doc, MSM_CONF_VERBATIM, lines, i, j, section, NULL, NULL);
        } else {
            char *attr = NULL, *value = NULL;
            const char *why = ldif_split(logical->str, &attr, &value);
            if (!in_record && why == NULL && strcmp(attr, "version") == 0 && !any_record) {
                add_lines(doc, MSM_CONF_COMMENT, lines, i, j, "", NULL, NULL);
            } else if (!in_record && why == NULL && strcmp(attr, "dn") == 0) {
                g_free(dn);
                dn = ldif_dn_identity(value);
                add_lines(doc, MSM_CONF_SECTION, lines, i, j, "", dn, NULL);
                seen = g_hash_table_lookup(seen_by_dn, dn);
                if (seen == NULL) {
                    seen = seen_new();
                    g_hash_table_insert(seen_by_dn, g_strdup(dn), seen);
                }
                in_record = any_record = TRUE;
                skip_record = FALSE;
            } else if (!in_record) {
                add_lines(doc, MSM_CONF_VERBATIM, lines, i, j, "", NULL, NULL);
                msm_confdoc_warn(doc, i + 1, "%s: kept as it is",
                                 why ? why : "not inside a \"dn:\" record");
                if (g_ascii_strncasecmp(logical->str, "dn:", 3) == 0) {
                    /* a record whose dn line is unusable: keep all of it verbatim */
                    in_record = skip_record = any_record = TRUE;
                    g_clear_pointer(&dn, g_free);
                }
            } else if (why != NULL) {
                add_lines(doc, MSM_CONF_VERBATIM, lines, i, j, section, NULL, NULL);
                msm_confdoc_warn(doc, i + 1, "%s: kept as it is", why);
            } else if (strcmp(attr, "changetype") == 0 || strcmp(attr, "dn") == 0) {
                add_lines(doc, MSM_CONF_VERBATIM, lines, i, j, section, NULL, NULL);
                msm_confdoc_warn(doc, i + 1,
                                 "\"%s:\" inside a record: change records are not supported; "
                                 "the rest of the record is kept as it is",
                                 attr);
                skip_record = TRUE;
            } else {
                char *id = numbered_key(seen, attr, FALSE);
                add_lines(doc, MSM_CONF_ENTRY, lines, i, j, section, id, value);
                g_free(id);
            }
            g_free(attr);
            g_free(value);
        }
        g_string_free(logical, TRUE);
        i = j;
    }
    g_hash_table_unref(seen_by_dn);
    g_free(dn);
    g_array_unref(lines);
    return TRUE;
}

/* "attr: value" or "attr:: BASE64", folded at 76 columns; an existing attribute keeps
 * the spelling of its name. */
static char *
ldif_render_entry(const MsmConfDoc *doc, const char *section, const char *key, const char *value)
{
    /* an existing attribute keeps its name as written in the file */
    const MsmConfNode *n = msm_confdoc_find(doc, section ? section : "", key);
    const char *colon = n ? memchr(n->raw->str, ':', n->raw->len) : NULL;
    char *k = colon ? g_strndup(n->raw->str, (gsize)(colon - n->raw->str)) : base_key(key);
    GString *s = g_string_new(NULL);
    ldif_append_line(s, k, value ? value : "");
    g_free(k);
    return g_string_free(s, FALSE);
}

/* A blank line, then "dn: <section>" (BASE64 when needed), folded. */
static char *
ldif_render_section(const MsmConfDoc *doc, const char *section)
{
    (void)doc;
    GString *s = g_string_new("\n");
    ldif_append_line(s, "dn", section);
    return g_string_free(s, FALSE);
}

static const char *const ldif_files[] = {"*.nsmsgcfg.ldif", "netscaperoot.ldif", NULL};

const MsmConfFormat msm_conf_format_nsmsgcfg_ldif = {
    .name = "nsmsgcfg.ldif",
    .description = "NMS 4.x configuration (nsmsgCfg* entries under o=NetscapeRoot) as LDIF",
    .files = ldif_files,
    .keys_case_insensitive = TRUE,
    .parse = ldif_parse,
    .render_entry = ldif_render_entry,
    .render_section = ldif_render_section,
};
