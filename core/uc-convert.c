/*
 * NAME
 *	uc-convert.c - legacy configuration <-> Unified Configuration (configtoxml)
 * SUMMARY
 *	from_legacy parses every legacy file the conversion absorbs with its
 *	lossless format (core/conf-*.c) and writes one <option> of config.xml
 *	per setting, named by the table of docs/uc-conversion.md:
 *	    msg.conf           NAME                      (configutil name as written)
 *	    option.dat         mta.KEY
 *	    C_option           channel:C.options.KEY
 *	    C_headers.opt      channel:C.headers.HEADER
 *	    imta.cnf           rewrite.rule = "pattern template",
 *	                       channel:C.keywords, channel:C.hosts
 *	    mappings           mapping.[TABLE]  (the table), mapping.[TABLE].PATTERN
 *	    job_controller.cnf job_controller.KEY, job_controller.[SECTION](.KEY)
 *	    dispatcher.cnf     dispatcher.KEY, dispatcher.[SECTION](.KEY)
 *	    conversions        conversions.entry
 *	    internet.rules     internet_rules.rule = "pattern action"
 *	    include lines      <namespace>.%include = the line ("<file")
 *	KEY, C, TABLE, SECTION and PATTERN are percent-encoded (enc()) so that
 *	a name never holds '.', '#', '[', ']', '%', white space, XML
 *	specials or non-ASCII bytes of its own. msg.conf names of Unix user
 *	and group IDs go to restricted.cnf instead. to_legacy reverses the
 *	table, renders every file through its format and parses the result
 *	again to prove that every setting came back; from_legacy ends by
 *	running to_legacy on its own result and comparing the settings, so
 *	what one direction accepts the other gives back (tests/fuzz/fuzz-uc.c).
 * OWNERSHIP
 *	See uc-convert.h. Internal strings are owned by their structures.
 * ERRORS
 *	MSM_ERROR_PARSE when a file does not parse (the parser's message);
 *	MSM_ERROR_INVALID_ARGUMENT "file:line: ..." for what the other side
 *	cannot represent, with the fix.
 */
#include "config.h"

#include "uc-convert.h"

#include <msmigrate/confdoc.h>
#include <msmigrate/error.h>
#include <msmigrate/ir.h>

#include <string.h>

typedef enum {
    K_NONE = 0,
    K_MSGCONF,
    K_OPTDAT,
    K_CHOPT,
    K_HDROPT,
    K_IMTA,
    K_MAPPINGS,
    K_JOBC,
    K_DISP,
    K_CONV,
    K_RULES,
} Kind;

/* configutil names kept in restricted.cnf (Unix user and group IDs; the model's list). */
static const char *const restricted_names[] = {"local.serveruid", "local.servergid", NULL};

/* Namespaces a msg.conf name may not start with (they name other files' settings). */
static const char *const reserved_prefixes[] = {
    "mta.", "channel:", "channels.", "rewrite.", "mapping.", "job_controller.",
    "dispatcher.", "conversions.", "internet_rules.", NULL,
};

/* The kind of a legacy file from its relpath; K_NONE: kept as a separate file. */
static Kind
kind_of(const char *relpath)
{
    if (strchr(relpath, '/'))
        return K_NONE;
    if (strcmp(relpath, "msg.conf") == 0)
        return K_MSGCONF;
    if (strcmp(relpath, "option.dat") == 0)
        return K_OPTDAT;
    if (strcmp(relpath, "imta.cnf") == 0)
        return K_IMTA;
    if (strcmp(relpath, "mappings") == 0)
        return K_MAPPINGS;
    if (strcmp(relpath, "job_controller.cnf") == 0)
        return K_JOBC;
    if (strcmp(relpath, "dispatcher.cnf") == 0)
        return K_DISP;
    if (strcmp(relpath, "conversions") == 0)
        return K_CONV;
    if (strcmp(relpath, "internet.rules") == 0)
        return K_RULES;
    if (g_str_has_suffix(relpath, "_headers.opt") && strlen(relpath) > strlen("_headers.opt"))
        return K_HDROPT;
    if (g_str_has_suffix(relpath, "_option") && strlen(relpath) > strlen("_option"))
        return K_CHOPT;
    return K_NONE;
}

gboolean
msm_uc_is_absorbed(const char *relpath)
{
    return relpath != NULL && kind_of(relpath) != K_NONE;
}

/* ---- names ---- */

/* TRUE for a byte a name segment may hold as it is. */
static gboolean
plain_char(guchar c)
{
    if (c <= 0x20 || c >= 0x7f)
        return FALSE;
    return strchr("%.#[]<>&\"'", c) == NULL;
}

/* Percent-encodes s (docs/uc-conversion.md "Names"). (transfer full) */
static char *
enc(const char *s)
{
    GString *o = g_string_new(NULL);
    for (const guchar *p = (const guchar *)s; *p; p++) {
        if (plain_char(*p))
            g_string_append_c(o, (char)*p);
        else
            g_string_append_printf(o, "%%%02X", *p);
    }
    return g_string_free(o, FALSE);
}

/* Decodes enc(); NULL when s is not an encoded segment. (transfer full) */
static char *
dec(const char *s, gsize len)
{
    GString *o = g_string_new(NULL);
    for (gsize i = 0; i < len; i++) {
        guchar c = (guchar)s[i];
        if (c == '%') {
            if (i + 2 >= len) {
                g_string_free(o, TRUE);
                return NULL;
            }
            int hi = g_ascii_xdigit_value(s[i + 1]), lo = g_ascii_xdigit_value(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                g_string_free(o, TRUE);
                return NULL;
            }
            g_string_append_c(o, (char)(hi * 16 + lo));
            i += 2;
        } else if (!plain_char(c)) {
            g_string_free(o, TRUE);
            return NULL;
        } else {
            g_string_append_c(o, (char)c);
        }
    }
    return g_string_free(o, FALSE);
}

/* The namespace of a file's settings ("mta", "channel:tcp_local.options"). (transfer full) */
static char *
namespace_of(Kind k, const char *relpath, const char *section)
{
    switch (k) {
    case K_OPTDAT:
        return g_strdup("mta");
    case K_CHOPT:
    case K_HDROPT: {
        gsize cut = strlen(relpath) - strlen(k == K_CHOPT ? "_option" : "_headers.opt");
        char *ch = g_strndup(relpath, cut);
        char *e = enc(ch);
        char *ns = g_strdup_printf("channel:%s.%s", e, k == K_CHOPT ? "options" : "headers");
        g_free(e);
        g_free(ch);
        return ns;
    }
    case K_IMTA:
        return g_strdup(strcmp(section, "channels") == 0 ? "channels" : "rewrite");
    case K_MAPPINGS:
    case K_JOBC:
    case K_DISP: {
        const char *base = k == K_MAPPINGS ? "mapping" : k == K_JOBC ? "job_controller"
                                                                    : "dispatcher";
        if (*section == '\0')
            return g_strdup(base);
        char *e = enc(section);
        char *ns = g_strdup_printf("%s.[%s]", base, e);
        g_free(e);
        return ns;
    }
    case K_CONV:
        return g_strdup("conversions");
    case K_RULES:
        return g_strdup("internet_rules");
    case K_MSGCONF:
    case K_NONE:
        break;
    }
    return g_strdup("");
}

/* ---- values ---- */

/* XML-escapes an attribute value (config.xml page "Rendering"). */
static void
xml_escape(GString *o, const char *v)
{
    for (const char *p = v; *p; p++) {
        switch (*p) {
        case '&': g_string_append(o, "&amp;"); break;
        case '<': g_string_append(o, "&lt;"); break;
        case '>': g_string_append(o, "&gt;"); break;
        case '"': g_string_append(o, "&quot;"); break;
        case '\'': g_string_append(o, "&apos;"); break;
        case '\n': g_string_append(o, "&#10;"); break;
        case '\r': g_string_append(o, "&#13;"); break;
        case '\t': g_string_append(o, "&#9;"); break;
        default: g_string_append_c(o, *p);
        }
    }
}

/* NULL when v can be an XML attribute value, else why not (static). */
static const char *
value_problem(const char *v)
{
    if (!g_utf8_validate(v, -1, NULL))
        return "is not UTF-8 (XML cannot carry those bytes)";
    for (const guchar *p = (const guchar *)v; *p; p++)
        if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
            return "holds a control character XML 1.0 cannot carry";
    return NULL;
}

static gboolean
is_restricted(const char *name)
{
    for (const char *const *r = restricted_names; *r; r++)
        if (g_ascii_strcasecmp(*r, name) == 0)
            return TRUE;
    return FALSE;
}

/* A configutil name usable as a config.xml option name: NULL or why not (static). */
static const char *
msgconf_name_problem(const char *name)
{
    if (!g_ascii_isalpha(name[0]))
        return "does not start with a letter";
    for (const char *p = name; *p; p++)
        if (!g_ascii_isalnum(*p) && strchr("._-;:", *p) == NULL)
            return "holds a character outside [A-Za-z0-9._-;:]";
    for (const char *const *r = reserved_prefixes; *r; r++)
        if (g_ascii_strncasecmp(name, *r, strlen(*r)) == 0)
            return "starts with a namespace Unified Configuration uses for the MTA files";
    return NULL;
}

static MsmConfigFile *
copy_file(const MsmConfigFile *f)
{
    MsmConfigFile *c = msm_config_file_new(f->relpath, f->content);
    c->mode = f->mode;
    c->format = g_strdup(f->format);
    return c;
}

static MsmConfigFile *
file_from_string(const char *relpath, GString *s, guint32 mode, const char *format)
{
    GBytes *b = g_bytes_new(s->str, s->len);
    MsmConfigFile *f = msm_config_file_new(relpath, b);
    g_bytes_unref(b);
    f->mode = mode;
    f->format = g_strdup(format);
    return f;
}

/* The trimmed text of a node's first physical line (an include line). (transfer full) */
static char *
node_line(const MsmConfNode *n)
{
    const char *nl = memchr(n->raw->str, '\n', n->raw->len);
    gsize len = nl ? (gsize)(nl - n->raw->str) : n->raw->len;
    char *s = g_strndup(n->raw->str, len);
    g_strstrip(s);
    return s;
}

/* ---- legacy -> UC ---- */

typedef struct {
    GString *xml;
    GString *rcnf;
    const char *file;
    guint line;
    GPtrArray *origins; /* config.xml line n (1-based) -> "file:line" at n - 1, or NULL */
} Writer;

/* Appends one config.xml line, remembering which legacy line it came from. */
static void
xml_line_done(Writer *w, gboolean from_setting)
{
    g_ptr_array_add(w->origins,
                    from_setting ? g_strdup_printf("%s:%u", w->file, w->line) : NULL);
}

static gboolean
put_option(Writer *w, const char *name, const char *value, GError **error)
{
    const char *why = value_problem(value);
    if (why) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "%s:%u: the value of \"%s\" %s: Unified Configuration cannot represent "
                    "it; correct the value, then convert again",
                    w->file, w->line, name, why);
        return FALSE;
    }
    g_string_append(w->xml, "  <option name=\"");
    xml_escape(w->xml, name);
    g_string_append(w->xml, "\" value=\"");
    xml_escape(w->xml, value);
    g_string_append(w->xml, "\"/>\n");
    xml_line_done(w, TRUE);
    return TRUE;
}

/* Converts one absorbed legacy file. */
static gboolean
absorb(Writer *w, Kind k, const MsmConfigFile *f, GError **error)
{
    const MsmConfFormat *fmt = msm_conf_format_for_file(f->relpath);
    if (fmt == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED, "%s: no format (a bug in msmigrate)",
                    f->relpath);
        return FALSE;
    }
    gsize len = 0;
    const char *data = g_bytes_get_data(f->content, &len);
    MsmConfDoc *doc = msm_confdoc_parse(fmt, f->relpath, data ? data : "", len, error);
    if (doc == NULL)
        return FALSE;
    gboolean ok = TRUE;
    w->file = f->relpath;
    if (strstr(f->relpath, "--") == NULL) {
        g_string_append_printf(w->xml, "  <!-- %s -->\n", f->relpath);
        xml_line_done(w, FALSE);
    }
    for (guint i = 0; ok && i < msm_confdoc_n_nodes(doc); i++) {
        const MsmConfNode *n = msm_confdoc_node(doc, i);
        w->line = n->line;
        if (n->type == MSM_CONF_VERBATIM) {
            GPtrArray *warn = msm_confdoc_warnings(doc);
            const char *what = NULL;
            char *prefix = g_strdup_printf("%s:%u:", f->relpath, n->line);
            for (guint j = 0; warn && j < warn->len && !what; j++)
                if (g_str_has_prefix(warn->pdata[j], prefix))
                    what = warn->pdata[j];
            g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                        "%s:%u: a line the %s format does not understand cannot be "
                        "represented in Unified Configuration (%s); correct or remove it, "
                        "then convert again",
                        f->relpath, n->line, fmt->name, what ? what : "kept verbatim");
            g_free(prefix);
            ok = FALSE;
            break;
        }
        if (n->type == MSM_CONF_INCLUDE) {
            char *ns = namespace_of(k, f->relpath, n->section);
            char *name = g_strconcat(ns, ".%include", NULL);
            char *line = node_line(n);
            ok = put_option(w, name, line, error);
            g_free(line);
            g_free(name);
            g_free(ns);
            continue;
        }
        if (n->type == MSM_CONF_SECTION) {
            if (k == K_MAPPINGS || k == K_JOBC || k == K_DISP) {
                char *ns = namespace_of(k, f->relpath, n->key ? n->key : "");
                ok = put_option(w, ns, "", error);
                g_free(ns);
            }
            continue;
        }
        if (n->type != MSM_CONF_ENTRY)
            continue;
        const char *value = n->value ? n->value : "";
        if (k == K_MSGCONF) {
            const char *why = msgconf_name_problem(n->key);
            if (why) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                            "%s:%u: parameter name \"%s\" %s, so Unified Configuration "
                            "cannot represent it; rename or remove it, then convert again",
                            f->relpath, n->line, n->key, why);
                ok = FALSE;
            } else if (is_restricted(n->key)) {
                char *v = g_strdup(value);
                g_strstrip(v);
                if (strcmp(v, value) != 0 || strpbrk(value, "\r\n") || *value == '\0' ||
                    !g_utf8_validate(value, -1, NULL)) {
                    g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                                "%s:%u: \"%s\" goes to restricted.cnf, which cannot hold an "
                                "empty value, one with a line end, surrounding white space "
                                "or non-UTF-8 bytes; correct it, then convert again",
                                f->relpath, n->line, n->key);
                    ok = FALSE;
                } else {
                    g_string_append_printf(w->rcnf, "%s=%s\n", n->key, value);
                }
                g_free(v);
            } else {
                ok = put_option(w, n->key, value, error);
            }
            continue;
        }
        char *name = NULL, *val = NULL;
        if (k == K_IMTA && strcmp(n->section, "channels") == 0) {
            char *e = enc(n->key);
            const char *nl = strchr(value, '\n');
            char *kw = nl ? g_strndup(value, (gsize)(nl - value)) : g_strdup(value);
            name = g_strdup_printf("channel:%s.keywords", e);
            ok = put_option(w, name, kw, error);
            if (ok && nl) {
                g_free(name);
                name = g_strdup_printf("channel:%s.hosts", e);
                ok = put_option(w, name, nl + 1, error);
            }
            g_free(kw);
            g_free(e);
            g_free(name);
            continue;
        }
        if (k == K_IMTA || k == K_RULES) {
            name = g_strdup(k == K_IMTA ? "rewrite.rule" : "internet_rules.rule");
            val = g_strconcat(n->key, " ", value, NULL);
        } else if (k == K_CONV) {
            name = g_strdup("conversions.entry");
            val = g_strdup(value);
        } else {
            char *ns = namespace_of(k, f->relpath, n->section);
            char *e = enc(n->key);
            name = g_strconcat(ns, ".", e, NULL);
            val = g_strdup(value);
            g_free(e);
            g_free(ns);
        }
        ok = put_option(w, name, val, error);
        g_free(name);
        g_free(val);
    }
    msm_confdoc_free(doc);
    return ok;
}

/* A config.xml error "config.xml:N: rest" told as "FILE:LINE: rest" (the legacy line
 * option N came from). */
static void
blame_legacy(GError *err, GPtrArray *origins)
{
    const char *m = err->message;
    if (!g_str_has_prefix(m, "config.xml:"))
        return;
    char *end = NULL;
    guint64 n = g_ascii_strtoull(m + strlen("config.xml:"), &end, 10);
    if (end == NULL || *end != ':' || n == 0 || n > origins->len || origins->pdata[n - 1] == NULL)
        return;
    char *msg = g_strdup_printf("%s%s (Unified Configuration could not give it back)",
                                (const char *)origins->pdata[n - 1], end);
    g_free(err->message);
    err->message = msg;
}

static gboolean
same_settings(const MsmConfigFile *a, const MsmConfigFile *b, guint *line_r)
{
    const MsmConfFormat *fmt = msm_conf_format_for_file(a->relpath);
    gsize la = 0, lb = 0;
    const char *da = g_bytes_get_data(a->content, &la);
    const char *db = b ? g_bytes_get_data(b->content, &lb) : "";
    MsmConfDoc *x = msm_confdoc_parse(fmt, a->relpath, da ? da : "", la, NULL);
    MsmConfDoc *y = msm_confdoc_parse(fmt, a->relpath, db ? db : "", lb, NULL);
    gboolean same = x && y;
    GPtrArray *ex = x ? msm_confdoc_entries(x) : g_ptr_array_new();
    GPtrArray *ey = y ? msm_confdoc_entries(y) : g_ptr_array_new();
    /* msg.conf: the restricted names come back at the end */
    GPtrArray *ox = g_ptr_array_new(), *tail = g_ptr_array_new();
    gboolean msgconf = kind_of(a->relpath) == K_MSGCONF;
    for (guint i = 0; i < ex->len; i++) {
        MsmConfNode *n = ex->pdata[i];
        g_ptr_array_add(msgconf && is_restricted(n->key) ? tail : ox, n);
    }
    g_ptr_array_extend_and_steal(ox, tail);
    *line_r = 1;
    for (guint i = 0; same && i < ox->len; i++) {
        const MsmConfNode *n = ox->pdata[i], *m = i < ey->len ? ey->pdata[i] : NULL;
        *line_r = n->line;
        same = m && strcmp(n->section, m->section) == 0 && g_strcmp0(n->key, m->key) == 0 &&
               g_strcmp0(n->value, m->value) == 0;
    }
    same = same && ox->len == ey->len;
    g_ptr_array_unref(ox);
    g_ptr_array_unref(ex);
    g_ptr_array_unref(ey);
    msm_confdoc_free(x);
    msm_confdoc_free(y);
    return same;
}

/* Converts out back and compares every absorbed file's settings with the input's. */
static gboolean
self_check(GPtrArray *files, GPtrArray *out, GPtrArray *origins, GError **error)
{
    GError *err = NULL;
    GPtrArray *back = msm_uc_to_legacy(out, &err);
    if (back == NULL) {
        blame_legacy(err, origins);
        g_propagate_error(error, err);
        return FALSE;
    }
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < files->len; i++) {
        const MsmConfigFile *f = files->pdata[i];
        if (kind_of(f->relpath) == K_NONE)
            continue;
        const MsmConfigFile *b = NULL;
        for (guint k = 0; k < back->len && b == NULL; k++)
            if (strcmp(((MsmConfigFile *)back->pdata[k])->relpath, f->relpath) == 0)
                b = back->pdata[k];
        guint line = 0;
        if (!same_settings(f, b, &line)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                        "%s:%u: this setting does not come back unchanged from Unified "
                        "Configuration (its legacy syntax is ambiguous); rewrite it in the "
                        "form docs/formats/ gives, then convert again",
                        f->relpath, line);
            ok = FALSE;
        }
    }
    g_ptr_array_unref(back);
    return ok;
}

GPtrArray *
msm_uc_from_legacy(GPtrArray *files, GError **error)
{
    g_return_val_if_fail(files != NULL, NULL);
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)msm_config_file_free);
    Writer w = {g_string_new(NULL), g_string_new(NULL), NULL, 0,
                g_ptr_array_new_with_free_func(g_free)};
    g_string_append(w.xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                           "<!-- Unified Configuration written by msmigrate (configtoxml); "
                           "the project's model: docs/uc-conversion.md -->\n"
                           "<configuration version=\"1\">\n");
    for (int i = 0; i < 3; i++)
        xml_line_done(&w, FALSE);
    g_string_append(w.rcnf, "! restricted.cnf - Unix user and group IDs (owned by root)\n"
                            "! written by msmigrate (configtoxml); docs/uc-conversion.md\n");
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < files->len; i++) {
        const MsmConfigFile *f = files->pdata[i];
        if (strcmp(f->relpath, "config.xml") == 0 || strcmp(f->relpath, "restricted.cnf") == 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                        "%s: the configuration is already in Unified Configuration; "
                        "restore the legacy files first (msmigrate config fromxml)",
                        f->relpath);
            ok = FALSE;
            break;
        }
        Kind k = kind_of(f->relpath);
        if (k == K_NONE)
            g_ptr_array_add(out, copy_file(f));
        else
            ok = absorb(&w, k, f, error);
    }
    if (ok) {
        g_string_append(w.xml, "</configuration>\n");
        g_ptr_array_insert(out, 0, file_from_string("restricted.cnf", w.rcnf, 0600,
                                                    "restricted.cnf"));
        g_ptr_array_insert(out, 0, file_from_string("config.xml", w.xml, 0600, "config.xml"));
    }
    g_string_free(w.xml, TRUE);
    g_string_free(w.rcnf, TRUE);
    /* What this direction writes, the other must give back, setting for setting:
     * checked here, so that an error names the legacy line, not config.xml. */
    if (ok)
        ok = self_check(files, out, w.origins, error);
    g_ptr_array_unref(w.origins);
    if (!ok) {
        g_ptr_array_unref(out);
        return NULL;
    }
    return out;
}

/* ---- UC -> legacy ---- */

typedef struct {
    gboolean include;  /* value is an include line */
    gboolean marker;   /* a section (table, [POOL=...]) with value "" */
    char *section;
    char *key;         /* NULL for conversions (derived by the parser) */
    char *value;
    guint line;        /* in config.xml / restricted.cnf */
    const char *from;  /* "config.xml" or "restricted.cnf" */
} Item;

typedef struct {
    char *relpath;
    Kind kind;
    GPtrArray *items; /* Item* */
} Target;

static void
item_free(gpointer p)
{
    Item *it = p;
    g_free(it->section);
    g_free(it->key);
    g_free(it->value);
    g_free(it);
}

static void
target_free(gpointer p)
{
    Target *t = p;
    g_free(t->relpath);
    g_ptr_array_unref(t->items);
    g_free(t);
}

static Target *
target_get(GPtrArray *targets, const char *relpath, Kind k)
{
    for (guint i = 0; i < targets->len; i++) {
        Target *t = targets->pdata[i];
        if (strcmp(t->relpath, relpath) == 0)
            return t;
    }
    Target *t = g_new0(Target, 1);
    t->relpath = g_strdup(relpath);
    t->kind = k;
    t->items = g_ptr_array_new_with_free_func(item_free);
    g_ptr_array_add(targets, t);
    return t;
}

static Item *
item_add(Target *t, const char *section, const char *key, const char *value, guint line,
         const char *from)
{
    Item *it = g_new0(Item, 1);
    it->section = g_strdup(section ? section : "");
    it->key = g_strdup(key);
    it->value = g_strdup(value);
    it->line = line;
    it->from = from;
    g_ptr_array_add(t->items, it);
    return it;
}

/* The option name without the "#N" the config.xml parser adds to a repeated name. */
static char *
base_name(const char *key)
{
    const char *h = strrchr(key, '#');
    if (h && h[1]) {
        const char *p = h + 1;
        while (g_ascii_isdigit(*p))
            p++;
        if (*p == '\0')
            return g_strndup(key, (gsize)(h - key));
    }
    return g_strdup(key);
}

static gboolean
bad_name(const char *name, guint line, const char *why, GError **error)
{
    g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                "config.xml:%u: option \"%s\" %s; correct or remove it (msconfig), then "
                "convert again",
                line, name, why);
    return FALSE;
}

/* Splits "[SEC].rest" / "rest" after a namespace: *section (decoded, "" if none) and
 * *rest (pointer into s). */
static gboolean
split_section(const char *s, char **section, const char **rest)
{
    *section = NULL;
    if (*s != '[') {
        *section = g_strdup("");
        *rest = s;
        return TRUE;
    }
    const char *close = strchr(s, ']');
    if (close == NULL)
        return FALSE;
    *section = dec(s + 1, (gsize)(close - s - 1));
    if (*section == NULL)
        return FALSE;
    *rest = close + 1;
    return TRUE;
}

/* Places one config.xml option into its legacy file. */
static gboolean
place_option(GPtrArray *targets, const char *name, const char *value, guint line,
             GError **error)
{
#define HAS(p) (g_ascii_strncasecmp(name, p, strlen(p)) == 0)
    if (HAS("mta.")) {
        const char *r = name + 4;
        Target *t = target_get(targets, "option.dat", K_OPTDAT);
        if (strcmp(r, "%include") == 0) {
            item_add(t, "", NULL, value, line, "config.xml")->include = TRUE;
            return TRUE;
        }
        char *key = dec(r, strlen(r));
        if (key == NULL || *key == '\0') {
            g_free(key);
            return bad_name(name, line, "is not mta.KEY", error);
        }
        item_add(t, "", key, value, line, "config.xml");
        g_free(key);
        return TRUE;
    }
    if (HAS("rewrite.") || HAS("channels.") || HAS("internet_rules.")) {
        gboolean rules = HAS("internet_rules.");
        gboolean chans = HAS("channels.");
        const char *r = strchr(name, '.') + 1;
        Target *t = rules ? target_get(targets, "internet.rules", K_RULES)
                          : target_get(targets, "imta.cnf", K_IMTA);
        const char *sec = rules ? "" : chans ? "channels" : "rewrite";
        if (strcmp(r, "%include") == 0) {
            item_add(t, sec, NULL, value, line, "config.xml")->include = TRUE;
            return TRUE;
        }
        if (chans || g_ascii_strcasecmp(r, "rule") != 0)
            return bad_name(name, line, "is not a rule (rewrite.rule, internet_rules.rule)",
                            error);
        const char *v = value;
        while (*v == ' ' || *v == '\t')
            v++;
        gsize pl = strcspn(v, " \t");
        const char *tmpl = v + pl;
        while (*tmpl == ' ' || *tmpl == '\t')
            tmpl++;
        if (pl == 0 || *tmpl == '\0')
            return bad_name(name, line, "does not hold \"pattern template\"", error);
        char *pat = g_strndup(v, pl);
        item_add(t, sec, pat, tmpl, line, "config.xml");
        g_free(pat);
        return TRUE;
    }
    if (HAS("channel:")) {
        const char *c = name + strlen("channel:");
        const char *dot = strchr(c, '.');
        char *ch = dot ? dec(c, (gsize)(dot - c)) : NULL;
        if (ch == NULL || *ch == '\0' || strchr(ch, '/')) {
            g_free(ch);
            return bad_name(name, line, "does not name a channel (channel:NAME.WHAT)", error);
        }
        const char *what = dot + 1;
        gboolean ok = TRUE;
        if (g_ascii_strncasecmp(what, "options.", 8) == 0 ||
            g_ascii_strncasecmp(what, "headers.", 8) == 0) {
            gboolean opt = g_ascii_strncasecmp(what, "options.", 8) == 0;
            char *rel = g_strconcat(ch, opt ? "_option" : "_headers.opt", NULL);
            Target *t = target_get(targets, rel, opt ? K_CHOPT : K_HDROPT);
            const char *r = what + 8;
            if (strcmp(r, "%include") == 0) {
                item_add(t, "", NULL, value, line, "config.xml")->include = TRUE;
            } else {
                char *key = dec(r, strlen(r));
                if (key == NULL || *key == '\0')
                    ok = bad_name(name, line, "does not end in an encoded option name", error);
                else
                    item_add(t, "", key, value, line, "config.xml");
                g_free(key);
            }
            g_free(rel);
        } else if (g_ascii_strcasecmp(what, "keywords") == 0) {
            Target *t = target_get(targets, "imta.cnf", K_IMTA);
            item_add(t, "channels", ch, value, line, "config.xml");
        } else if (g_ascii_strcasecmp(what, "hosts") == 0) {
            Target *t = target_get(targets, "imta.cnf", K_IMTA);
            Item *last = NULL;
            for (guint i = t->items->len; i-- > 0 && last == NULL;) {
                Item *it = t->items->pdata[i];
                if (!it->include && strcmp(it->section, "channels") == 0)
                    last = it;
            }
            if (last == NULL || strcmp(last->key, ch) != 0 || strchr(last->value, '\n')) {
                ok = bad_name(name, line,
                              "does not follow the channel's keywords option "
                              "(channel:NAME.keywords)",
                              error);
            } else {
                char *v = g_strconcat(last->value, "\n", value, NULL);
                g_free(last->value);
                last->value = v;
            }
        } else {
            ok = bad_name(name, line, "is not a channel setting the model knows "
                                      "(options.X, headers.X, keywords, hosts)", error);
        }
        g_free(ch);
        return ok;
    }
    if (HAS("mapping.") || HAS("job_controller.") || HAS("dispatcher.")) {
        Kind k = HAS("mapping.") ? K_MAPPINGS : HAS("job_controller.") ? K_JOBC : K_DISP;
        const char *rel = k == K_MAPPINGS ? "mappings" : k == K_JOBC ? "job_controller.cnf"
                                                                     : "dispatcher.cnf";
        Target *t = target_get(targets, rel, k);
        const char *r = strchr(name, '.') + 1, *rest = NULL;
        char *sec = NULL;
        if (!split_section(r, &sec, &rest))
            return bad_name(name, line, "has a malformed [SECTION]", error);
        gboolean ok = TRUE;
        if (*rest == '\0' && *sec) {
            if (*value)
                ok = bad_name(name, line, "is a section and must have an empty value", error);
            else
                item_add(t, sec, sec, "", line, "config.xml")->marker = TRUE;
        } else {
            if (*sec) {
                if (*rest != '.')
                    ok = bad_name(name, line, "has text after ]", error);
                rest++;
            }
            if (ok && strcmp(rest, "%include") == 0) {
                item_add(t, sec, NULL, value, line, "config.xml")->include = TRUE;
            } else if (ok) {
                char *key = dec(rest, strlen(rest));
                if (key == NULL || *key == '\0')
                    ok = bad_name(name, line, "does not end in an encoded name", error);
                else if (k == K_MAPPINGS && *sec == '\0')
                    ok = bad_name(name, line, "is a mapping entry outside a table", error);
                else
                    item_add(t, sec, key, value, line, "config.xml");
                g_free(key);
            }
        }
        g_free(sec);
        return ok;
    }
    if (HAS("conversions.")) {
        Target *t = target_get(targets, "conversions", K_CONV);
        const char *r = name + strlen("conversions.");
        if (strcmp(r, "%include") == 0)
            item_add(t, "", NULL, value, line, "config.xml")->include = TRUE;
        else if (g_ascii_strcasecmp(r, "entry") == 0)
            item_add(t, "", NULL, value, line, "config.xml");
        else
            return bad_name(name, line, "is not conversions.entry", error);
        return TRUE;
    }
#undef HAS
    const char *why = msgconf_name_problem(name);
    if (why)
        return bad_name(name, line, why, error);
    item_add(target_get(targets, "msg.conf", K_MSGCONF), "", name, value, line, "config.xml");
    return TRUE;
}

/* Renders one entry through the format, alone, with exactly one final line end. */
static void
append_rendered(GString *out, const MsmConfFormat *fmt, const char *section, const char *key,
                const char *value)
{
    MsmConfDoc *empty = msm_confdoc_new(fmt, "render");
    char *txt = fmt->render_entry(empty, section, key ? key : "", value);
    const char *p = txt;
    while (*p == '\n')
        p++;
    gsize n = strlen(p);
    while (n >= 2 && p[n - 1] == '\n' && p[n - 2] == '\n')
        n--;
    g_string_append_len(out, p, (gssize)n);
    if (n == 0 || p[n - 1] != '\n')
        g_string_append_c(out, '\n');
    g_free(txt);
    msm_confdoc_free(empty);
}

static gboolean
ends_blank(const GString *s)
{
    return s->len == 0 || (s->len >= 2 && s->str[s->len - 1] == '\n' && s->str[s->len - 2] == '\n');
}

/* Writes a target's text; then parses it back and checks every setting. */
static MsmConfigFile *
render_target(const Target *t, GError **error)
{
    const MsmConfFormat *fmt = msm_conf_format_for_file(t->relpath);
    GString *out = g_string_new(NULL);
    const char *cur = "";
    gboolean in_channels = FALSE, rewrite_any = FALSE;
    for (guint i = 0; i < t->items->len; i++) {
        const Item *it = t->items->pdata[i];
        if (t->kind == K_IMTA) {
            gboolean ch = strcmp(it->section, "channels") == 0;
            if (!ch && in_channels) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                            "%s:%u: a rewrite rule after the first channel cannot be written "
                            "to imta.cnf (rules come first); move it up",
                            it->from, it->line);
                g_string_free(out, TRUE);
                return NULL;
            }
            if (ch && !in_channels) {
                in_channels = TRUE;
                if (rewrite_any || out->len == 0)
                    g_string_append_c(out, '\n'); /* the blank line ending the rules */
            } else if (ch && !ends_blank(out)) {
                g_string_append_c(out, '\n'); /* blocks are separated by a blank line */
            }
            rewrite_any = TRUE;
        } else if (it->marker) {
            if (t->kind == K_MAPPINGS) {
                if (!ends_blank(out))
                    g_string_append_c(out, '\n');
                g_string_append_printf(out, "%s\n\n", it->section);
            } else {
                MsmConfDoc *empty = msm_confdoc_new(fmt, "render");
                char *h = fmt->render_section(empty, it->section);
                g_string_append(out, h);
                g_free(h);
                msm_confdoc_free(empty);
            }
            cur = it->section;
            continue;
        } else if (strcmp(cur, it->section) != 0) {
            if (fmt->render_section == NULL || t->kind == K_MAPPINGS) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                            "%s:%u: a setting of [%s] outside its section cannot be written "
                            "to %s; add the section option before it",
                            it->from, it->line, it->section, t->relpath);
                g_string_free(out, TRUE);
                return NULL;
            }
            MsmConfDoc *empty = msm_confdoc_new(fmt, "render");
            char *h = fmt->render_section(empty, it->section);
            g_string_append(out, h);
            g_free(h);
            msm_confdoc_free(empty);
            cur = it->section;
        } else if (t->kind == K_CONV && !ends_blank(out) && !it->include) {
            g_string_append_c(out, '\n'); /* entries separated by a blank line */
        }
        if (it->include || t->kind == K_CONV)
            /* a conversion entry is written as the one logical line the parser read:
             * the renderer would re-pack its parameters */
            g_string_append_printf(out, "%s\n", it->value);
        else
            append_rendered(out, fmt, it->section, it->key, it->value);
    }
    /* Parse back: every setting must come back as it went in. */
    MsmConfDoc *doc = msm_confdoc_parse(fmt, t->relpath, out->str, out->len, error);
    if (doc == NULL) {
        g_string_free(out, TRUE);
        return NULL;
    }
    GPtrArray *got = msm_confdoc_entries(doc);
    guint gi = 0;
    const Item *bad = NULL;
    for (guint i = 0; i < t->items->len && bad == NULL; i++) {
        const Item *it = t->items->pdata[i];
        if (it->include || it->marker)
            continue;
        const MsmConfNode *n = gi < got->len ? got->pdata[gi++] : NULL;
        if (n == NULL || strcmp(n->section, it->section) != 0 ||
            (it->key && strcmp(n->key, it->key) != 0) || g_strcmp0(n->value, it->value) != 0)
            bad = it;
    }
    if (bad == NULL && gi != got->len)
        bad = t->items->len ? t->items->pdata[t->items->len - 1] : NULL;
    /* includes in order, sections (tables, pools) in order, nothing verbatim */
    guint ii = 0, mi = 0;
    for (guint k = 0; bad == NULL && k < msm_confdoc_n_nodes(doc); k++) {
        const MsmConfNode *n = msm_confdoc_node(doc, k);
        if (n->type == MSM_CONF_VERBATIM) {
            bad = t->items->len ? t->items->pdata[0] : NULL;
            for (guint i = 0; i < t->items->len; i++) /* the item nearest the line */
                if (((const Item *)t->items->pdata[i])->include)
                    bad = t->items->pdata[i];
        } else if (n->type == MSM_CONF_INCLUDE) {
            while (ii < t->items->len && !((const Item *)t->items->pdata[ii])->include)
                ii++;
            char *line = node_line(n);
            if (ii >= t->items->len || strcmp(((const Item *)t->items->pdata[ii])->value,
                                              line) != 0)
                bad = ii < t->items->len ? t->items->pdata[ii] : t->items->pdata[0];
            ii++;
            g_free(line);
        } else if (n->type == MSM_CONF_SECTION && n->nlines > 0) {
            while (mi < t->items->len && !((const Item *)t->items->pdata[mi])->marker)
                mi++;
            if (mi < t->items->len &&
                strcmp(((const Item *)t->items->pdata[mi])->section, n->key) == 0)
                mi++; /* a header the entries needed without a marker is fine */
        }
    }
    for (; bad == NULL && ii < t->items->len; ii++)
        if (((const Item *)t->items->pdata[ii])->include)
            bad = t->items->pdata[ii];
    for (; bad == NULL && mi < t->items->len; mi++)
        if (((const Item *)t->items->pdata[mi])->marker)
            bad = t->items->pdata[mi];
    if (bad) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "%s:%u: the setting (\"%s\" = \"%s\") cannot be written back to %s as it "
                    "is: the legacy syntax cannot express it; correct it, then convert again",
                    bad->from, bad->line, bad->key ? bad->key : bad->section, bad->value,
                    t->relpath);
        g_ptr_array_unref(got);
        msm_confdoc_free(doc);
        g_string_free(out, TRUE);
        return NULL;
    }
    g_ptr_array_unref(got);
    msm_confdoc_free(doc);
    MsmConfigFile *f = file_from_string(t->relpath, out, t->kind == K_MSGCONF ? 0600 : 0644,
                                        fmt->name);
    g_string_free(out, TRUE);
    return f;
}

static MsmConfDoc *
parse_uc(const MsmConfigFile *f, const char *fmtname, GError **error)
{
    gsize len = 0;
    const char *data = g_bytes_get_data(f->content, &len);
    MsmConfDoc *doc = msm_confdoc_parse(msm_conf_format_find(fmtname), f->relpath,
                                        data ? data : "", len, error);
    if (doc == NULL)
        return NULL;
    GPtrArray *warn = msm_confdoc_warnings(doc);
    if (warn && warn->len) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "%s: outside the model of docs/formats/conf-%s.md, so the legacy files "
                    "cannot be derived from it; fix the line or restore the saved legacy "
                    "files (msmigrate config fromxml)",
                    (const char *)warn->pdata[0],
                    strcmp(fmtname, "config.xml") == 0 ? "config-xml" : "restricted-cnf");
        msm_confdoc_free(doc);
        return NULL;
    }
    return doc;
}

GPtrArray *
msm_uc_to_legacy(GPtrArray *files, GError **error)
{
    g_return_val_if_fail(files != NULL, NULL);
    const MsmConfigFile *xml = NULL, *rcnf = NULL;
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)msm_config_file_free);
    GPtrArray *separate = g_ptr_array_new();
    for (guint i = 0; i < files->len; i++) {
        const MsmConfigFile *f = files->pdata[i];
        if (strcmp(f->relpath, "config.xml") == 0)
            xml = f;
        else if (strcmp(f->relpath, "restricted.cnf") == 0)
            rcnf = f;
        else
            g_ptr_array_add(separate, (gpointer)f);
    }
    if (xml == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "config.xml: absent: this is not a Unified Configuration");
        g_ptr_array_unref(separate);
        g_ptr_array_unref(out);
        return NULL;
    }
    GPtrArray *targets = g_ptr_array_new_with_free_func(target_free);
    gboolean ok = TRUE;
    MsmConfDoc *doc = parse_uc(xml, "config.xml", error);
    ok = doc != NULL;
    for (guint i = 0; ok && i < msm_confdoc_n_nodes(doc); i++) {
        const MsmConfNode *n = msm_confdoc_node(doc, i);
        if (n->type != MSM_CONF_ENTRY)
            continue;
        char *name = base_name(n->key);
        ok = place_option(targets, name, n->value ? n->value : "", n->line, error);
        g_free(name);
    }
    msm_confdoc_free(doc);
    if (ok && rcnf) {
        MsmConfDoc *r = parse_uc(rcnf, "restricted.cnf", error);
        ok = r != NULL;
        for (guint i = 0; ok && i < msm_confdoc_n_nodes(r); i++) {
            const MsmConfNode *n = msm_confdoc_node(r, i);
            if (n->type != MSM_CONF_ENTRY)
                continue;
            char *name = base_name(n->key);
            const char *why = msgconf_name_problem(name);
            if (why) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                            "restricted.cnf:%u: \"%s\" %s; correct or remove it", n->line, name,
                            why);
                ok = FALSE;
            } else {
                item_add(target_get(targets, "msg.conf", K_MSGCONF), "", name,
                         n->value ? n->value : "", n->line, "restricted.cnf");
            }
            g_free(name);
        }
        msm_confdoc_free(r);
    }
    for (guint i = 0; ok && i < targets->len; i++) {
        const Target *t = targets->pdata[i];
        for (guint j = 0; j < separate->len; j++)
            if (strcmp(((MsmConfigFile *)separate->pdata[j])->relpath, t->relpath) == 0) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                            "%s: both a separate file and settings in config.xml; remove "
                            "the separate file or those settings",
                            t->relpath);
                ok = FALSE;
            }
        MsmConfigFile *f = ok ? render_target(t, error) : NULL;
        if (f)
            g_ptr_array_add(out, f);
        else
            ok = FALSE;
    }
    for (guint j = 0; ok && j < separate->len; j++)
        g_ptr_array_add(out, copy_file(separate->pdata[j]));
    g_ptr_array_unref(targets);
    g_ptr_array_unref(separate);
    if (!ok) {
        g_ptr_array_unref(out);
        return NULL;
    }
    return out;
}
