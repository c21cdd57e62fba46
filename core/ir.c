/*
 * NAME
 *	ir.c - the intermediate representation: bodies, messages, folders,
 *	queued messages, directory entries, configuration files, items
 * SUMMARY
 *	Implements include/msmigrate/ir.h. Every IR value is created by its
 *	msm_*_new() function and freed by the matching msm_*_free(); string
 *	fields are owned by their struct, GPtrArray fields own their elements.
 * DESCRIPTION
 *	MsmBody has three variants behind one read function:
 *	- stream: a callback produces the bytes on demand (generators, codecs
 *	  that decode on the fly);
 *	- bytes: a GBytes already in memory (small bodies, tests);
 *	- file: a path opened on the first read, so a folder of thousands of
 *	  messages holds no file descriptor until the writer reaches each one.
 *	When the size is given (>= 0) it is checked: a body that yields more
 *	or fewer bytes than announced fails with MSM_ERROR_IO, so a file that
 *	changed under a run is not copied silently truncated.
 *
 *	MsmEntry keeps its attributes in first-added order in an array and
 *	indexes them by lowercased name in a hash table. Values are GBytes
 *	whose storage carries one hidden NUL after the last byte, so
 *	msm_entry_get_string() can hand out a C string without copying. An
 *	attribute with many values (a large group's uniqueMember) gets a hash
 *	set of its values once it has more than DEDUP_INDEX_MIN of them, so
 *	adding and removing values stays O(1) instead of O(n).
 * DIAGNOSTICS
 *	msm_body_read() on a file body: MSM_ERROR_IO "cannot open PATH: REASON",
 *	"cannot read PATH: REASON", or a size mismatch naming the path and both
 *	sizes. Stream and bytes bodies report a size mismatch the same way.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* bodies                                                                 */
/* ---------------------------------------------------------------------- */

typedef enum {
    BODY_STREAM,
    BODY_BYTES,
    BODY_FILE,
} BodyKind;

struct MsmBody {
    BodyKind kind;
    gint64 size;       /* announced size, -1 = unknown */
    guint64 delivered; /* bytes handed out so far */
    gboolean at_end;   /* the source reported its end */
    /* stream */
    MsmBodyReadFunc read;
    gpointer data;
    GDestroyNotify free_func;
    /* bytes */
    GBytes *bytes;
    /* file */
    char *path;
    int fd;
    /* a stream's declared origin: the file whose exact bytes it delivers, or NULL */
    char *origin;
};

/* A new body of the given kind with nothing set. */
static MsmBody *
body_alloc(BodyKind kind, gint64 size)
{
    MsmBody *b = g_new0(MsmBody, 1);
    b->kind = kind;
    b->size = size < 0 ? -1 : size;
    b->fd = -1;
    return b;
}

/* A body produced by a callback. (transfer full) */
MsmBody *
msm_body_new_stream(MsmBodyReadFunc read, gpointer data, GDestroyNotify free_func, gint64 size)
{
    g_return_val_if_fail(read != NULL, NULL);
    MsmBody *b = body_alloc(BODY_STREAM, size);
    b->read = read;
    b->data = data;
    b->free_func = free_func;
    return b;
}

/* A body over bytes in memory; takes a reference. (transfer full) */
MsmBody *
msm_body_new_bytes(GBytes *bytes)
{
    g_return_val_if_fail(bytes != NULL, NULL);
    MsmBody *b = body_alloc(BODY_BYTES, (gint64)g_bytes_get_size(bytes));
    b->bytes = g_bytes_ref(bytes);
    return b;
}

/* A body over a file that is opened on the first read. (transfer full) */
MsmBody *
msm_body_new_file(const char *path, gint64 size)
{
    g_return_val_if_fail(path != NULL, NULL);
    MsmBody *b = body_alloc(BODY_FILE, size);
    b->path = g_strdup(path);
    return b;
}

/* Name of the body's source for error messages. */
static const char *
body_what(const MsmBody *b)
{
    switch (b->kind) {
    case BODY_FILE:
        return b->path;
    case BODY_BYTES:
        return "in-memory message body";
    case BODY_STREAM:
    default:
        return "streamed message body";
    }
}

/* Reads from a file body, opening the file on first use. */
static gssize
body_read_file(MsmBody *b, guint8 *buf, gsize len, GError **error)
{
    if (b->fd < 0) {
        b->fd = open(b->path, O_RDONLY | O_CLOEXEC);
        if (b->fd < 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot open %s: %s", b->path,
                        g_strerror(e));
            return -1;
        }
    }
    for (;;) {
        ssize_t n = read(b->fd, buf, len);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read %s: %s", b->path, g_strerror(e));
        return -1;
    }
}

/* Reads from a bytes body. */
static gssize
body_read_bytes(MsmBody *b, guint8 *buf, gsize len)
{
    gsize total = g_bytes_get_size(b->bytes);
    if (b->delivered >= total)
        return 0;
    gsize n = MIN(len, total - (gsize)b->delivered);
    memcpy(buf, (const guint8 *)g_bytes_get_data(b->bytes, NULL) + b->delivered, n);
    return (gssize)n;
}

/* Reads up to len bytes: count, 0 at the end, -1 with *error set. */
gssize
msm_body_read(MsmBody *body, guint8 *buf, gsize len, GError **error)
{
    g_return_val_if_fail(body != NULL, -1);
    if (len == 0 || body->at_end)
        return 0;
    if (len > G_MAXSSIZE)
        len = G_MAXSSIZE;
    gssize n;
    switch (body->kind) {
    case BODY_FILE:
        n = body_read_file(body, buf, len, error);
        break;
    case BODY_BYTES:
        n = body_read_bytes(body, buf, len);
        break;
    case BODY_STREAM:
    default: {
        GError *err = NULL;
        n = body->read(body->data, buf, len, &err);
        if (n < 0) {
            if (err == NULL)
                g_set_error(&err, MSM_ERROR, MSM_ERROR_IO,
                            "%s: the producer failed without saying why", body_what(body));
            g_propagate_error(error, err);
        } else if (err != NULL) {
            g_error_free(err); /* a producer must not set an error on success */
        }
        if (n > (gssize)len)
            n = (gssize)len;
        break;
    }
    }
    if (n < 0)
        return -1;
    if (n == 0) {
        body->at_end = TRUE;
        if (body->size >= 0 && body->delivered != (guint64)body->size) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                        "%s: ended after %" G_GUINT64_FORMAT " bytes but %" G_GINT64_FORMAT
                        " were announced (the source changed or the size is wrong)",
                        body_what(body), body->delivered, body->size);
            return -1;
        }
        if (body->fd >= 0) {
            close(body->fd);
            body->fd = -1;
        }
        return 0;
    }
    body->delivered += (guint64)n;
    if (body->size >= 0 && body->delivered > (guint64)body->size) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                    "%s: has more than the %" G_GINT64_FORMAT
                    " bytes announced (the source changed or the size is wrong)",
                    body_what(body), body->size);
        return -1;
    }
    return n;
}

/* The announced exact size, or -1. */
gint64
msm_body_size(const MsmBody *body)
{
    g_return_val_if_fail(body != NULL, -1);
    return body->size;
}

/* The rest of the body in memory. (transfer full) */
GBytes *
msm_body_slurp(MsmBody *body, GError **error)
{
    g_return_val_if_fail(body != NULL, NULL);
    gsize hint = body->size > 0 && body->size < (64 << 20) ? (gsize)body->size : 65536;
    GByteArray *acc = g_byte_array_sized_new((guint)MIN(hint, G_MAXUINT));
    guint8 chunk[65536];
    for (;;) {
        gssize n = msm_body_read(body, chunk, sizeof chunk, error);
        if (n < 0) {
            g_byte_array_unref(acc);
            return NULL;
        }
        if (n == 0)
            break;
        g_byte_array_append(acc, chunk, (guint)n);
    }
    return g_byte_array_free_to_bytes(acc);
}

/* Frees the body, its producer's data and any open file. */
void
msm_body_free(MsmBody *body)
{
    if (body == NULL)
        return;
    if (body->free_func != NULL)
        body->free_func(body->data);
    if (body->bytes != NULL)
        g_bytes_unref(body->bytes);
    if (body->fd >= 0)
        close(body->fd);
    g_free(body->path);
    g_free(body->origin);
    g_free(body);
}

/* The file whose bytes the body delivers unchanged, or NULL. (transfer none) */
const char *
msm_body_source_path(const MsmBody *body)
{
    if (body == NULL)
        return NULL;
    return body->kind == BODY_FILE ? body->path : body->origin;
}

/* Declares that a stream body delivers exactly the bytes of file path. */
void
msm_body_set_source_path(MsmBody *body, const char *path)
{
    g_return_if_fail(body != NULL);
    if (body->kind != BODY_STREAM)
        return;
    g_free(body->origin);
    body->origin = g_strdup(path);
}

/* ---------------------------------------------------------------------- */
/* configuration files                                                    */
/* ---------------------------------------------------------------------- */

/* A configuration file item payload. (transfer full) */
MsmConfigFile *
msm_config_file_new(const char *relpath, GBytes *content)
{
    g_return_val_if_fail(relpath != NULL, NULL);
    MsmConfigFile *f = g_new0(MsmConfigFile, 1);
    f->relpath = g_strdup(relpath);
    f->content = content ? g_bytes_ref(content) : g_bytes_new(NULL, 0);
    return f;
}

/* Frees a configuration file. */
void
msm_config_file_free(MsmConfigFile *file)
{
    if (file == NULL)
        return;
    g_free(file->relpath);
    if (file->content != NULL)
        g_bytes_unref(file->content);
    g_free(file->format);
    g_free(file);
}

/* ---------------------------------------------------------------------- */
/* messages and their iterator                                            */
/* ---------------------------------------------------------------------- */

struct MsmMessageIter {
    MsmMessageNextFunc next;
    gpointer data;
    GDestroyNotify free_func;
    gboolean done;
};

/* An iterator over a producer of messages. (transfer full) */
MsmMessageIter *
msm_message_iter_new(MsmMessageNextFunc next, gpointer data, GDestroyNotify free_func)
{
    g_return_val_if_fail(next != NULL, NULL);
    MsmMessageIter *it = g_new0(MsmMessageIter, 1);
    it->next = next;
    it->data = data;
    it->free_func = free_func;
    return it;
}

/* The next message, NULL at the end (the producer is not called again). */
gboolean
msm_message_iter_next(MsmMessageIter *iter, MsmMessage **msg_r, GError **error)
{
    g_return_val_if_fail(iter != NULL && msg_r != NULL, FALSE);
    *msg_r = NULL;
    if (iter->done)
        return TRUE;
    MsmMessage *m = NULL;
    GError *err = NULL;
    if (!iter->next(iter->data, &m, &err)) {
        msm_message_free(m);
        if (err == NULL)
            g_set_error(&err, MSM_ERROR, MSM_ERROR_FAILED,
                        "message iterator failed without saying why");
        g_propagate_error(error, err);
        return FALSE;
    }
    if (err != NULL)
        g_error_free(err);
    if (m == NULL)
        iter->done = TRUE; /* never call the producer again after its end */
    *msg_r = m;
    return TRUE;
}

/* Frees the iterator and the producer's data. */
void
msm_message_iter_free(MsmMessageIter *iter)
{
    if (iter == NULL)
        return;
    if (iter->free_func != NULL)
        iter->free_func(iter->data);
    g_free(iter);
}

/* A message with no keywords and no body. (transfer full) */
MsmMessage *
msm_message_new(void)
{
    MsmMessage *m = g_new0(MsmMessage, 1);
    m->keywords = g_ptr_array_new_with_free_func(g_free);
    return m;
}

/* Frees a message with its body. */
void
msm_message_free(MsmMessage *msg)
{
    if (msg == NULL)
        return;
    g_ptr_array_unref(msg->keywords);
    msm_body_free(msg->body);
    g_free(msg);
}

/* ---------------------------------------------------------------------- */
/* owners, ACEs, folders                                                  */
/* ---------------------------------------------------------------------- */

/* An owner on partition "primary" without quotas. (transfer full) */
MsmOwner *
msm_owner_new(const char *user)
{
    g_return_val_if_fail(user != NULL, NULL);
    MsmOwner *o = g_new0(MsmOwner, 1);
    o->user = g_strdup(user);
    o->partition = g_strdup("primary");
    o->quota_bytes = -1;
    o->quota_messages = -1;
    o->used_bytes = -1;
    o->subscriptions = g_ptr_array_new_with_free_func(g_free);
    return o;
}

/* A deep copy of owner. (transfer full) */
MsmOwner *
msm_owner_copy(const MsmOwner *owner)
{
    g_return_val_if_fail(owner != NULL, NULL);
    MsmOwner *o = msm_owner_new(owner->user);
    g_free(o->partition);
    o->partition = g_strdup(owner->partition);
    o->quota_bytes = owner->quota_bytes;
    o->quota_messages = owner->quota_messages;
    o->used_bytes = owner->used_bytes;
    for (guint i = 0; owner->subscriptions && i < owner->subscriptions->len; i++)
        g_ptr_array_add(o->subscriptions, g_strdup(owner->subscriptions->pdata[i]));
    return o;
}

/* Frees an owner. */
void
msm_owner_free(MsmOwner *owner)
{
    if (owner == NULL)
        return;
    g_free(owner->user);
    g_free(owner->partition);
    if (owner->subscriptions != NULL)
        g_ptr_array_unref(owner->subscriptions);
    g_free(owner);
}

/* One access-control entry. (transfer full) */
MsmAce *
msm_ace_new(const char *identifier, const char *rights)
{
    g_return_val_if_fail(identifier != NULL, NULL);
    MsmAce *a = g_new0(MsmAce, 1);
    a->identifier = g_strdup(identifier);
    a->rights = g_strdup(rights ? rights : "");
    return a;
}

/* Frees an access-control entry. */
void
msm_ace_free(MsmAce *ace)
{
    if (ace == NULL)
        return;
    g_free(ace->identifier);
    g_free(ace->rights);
    g_free(ace);
}

/* A folder of owner (taken). (transfer full) */
MsmFolder *
msm_folder_new(MsmOwner *owner, const char *name)
{
    g_return_val_if_fail(name != NULL, NULL);
    MsmFolder *f = g_new0(MsmFolder, 1);
    f->owner = owner;
    f->name = g_strdup(name);
    f->acl = g_ptr_array_new_with_free_func((GDestroyNotify)msm_ace_free);
    return f;
}

/* Frees a folder with its owner, ACL and message iterator. */
void
msm_folder_free(MsmFolder *folder)
{
    if (folder == NULL)
        return;
    msm_owner_free(folder->owner);
    g_free(folder->name);
    if (folder->acl != NULL)
        g_ptr_array_unref(folder->acl);
    msm_message_iter_free(folder->messages);
    g_free(folder);
}

/* ---------------------------------------------------------------------- */
/* queue                                                                  */
/* ---------------------------------------------------------------------- */

/* An envelope recipient. (transfer full) */
MsmRecipient *
msm_recipient_new(const char *address)
{
    g_return_val_if_fail(address != NULL, NULL);
    MsmRecipient *r = g_new0(MsmRecipient, 1);
    r->address = g_strdup(address);
    return r;
}

/* Frees a recipient. */
void
msm_recipient_free(MsmRecipient *rcpt)
{
    if (rcpt == NULL)
        return;
    g_free(rcpt->address);
    g_free(rcpt->original);
    g_free(rcpt);
}

/* A queued message of channel with the null sender. (transfer full) */
MsmQueuedMessage *
msm_queued_message_new(const char *channel)
{
    g_return_val_if_fail(channel != NULL, NULL);
    MsmQueuedMessage *q = g_new0(MsmQueuedMessage, 1);
    q->channel = g_strdup(channel);
    q->sender = g_strdup("");
    q->recipients = g_ptr_array_new_with_free_func((GDestroyNotify)msm_recipient_free);
    q->extra = g_ptr_array_new_with_free_func(g_free);
    return q;
}

/* Frees a queued message with its envelope and body. */
void
msm_queued_message_free(MsmQueuedMessage *qm)
{
    if (qm == NULL)
        return;
    g_free(qm->channel);
    g_free(qm->name);
    g_free(qm->sender);
    if (qm->recipients != NULL)
        g_ptr_array_unref(qm->recipients);
    if (qm->extra != NULL)
        g_ptr_array_unref(qm->extra);
    msm_body_free(qm->body);
    g_free(qm);
}

/* ---------------------------------------------------------------------- */
/* directory entries                                                      */
/* ---------------------------------------------------------------------- */

/* Above this many values an attribute keeps a hash set of them. */
#define DEDUP_INDEX_MIN 8

typedef struct {
    char *name;        /* as first added */
    char *lname;       /* lowercased: the index key */
    GPtrArray *values; /* GBytes*, in added order */
    GHashTable *set;   /* GBytes* -> GBytes* (borrowed from values), or NULL */
} EntryAttr;

struct MsmEntry {
    char *dn;
    GPtrArray *attrs;  /* EntryAttr*, first-added order */
    GHashTable *index; /* lname (borrowed) -> EntryAttr* */
};

/* A GBytes holding len bytes followed by a hidden NUL. (transfer full) */
static GBytes *
value_new(const void *value, gsize len)
{
    guint8 *buf = g_malloc(len + 1);
    if (len > 0)
        memcpy(buf, value, len);
    buf[len] = '\0';
    return g_bytes_new_with_free_func(buf, len, g_free, buf);
}

/* Frees one attribute with its values. */
static void
attr_free(EntryAttr *a)
{
    if (a->set != NULL)
        g_hash_table_unref(a->set);
    g_ptr_array_unref(a->values);
    g_free(a->name);
    g_free(a->lname);
    g_free(a);
}

/* A new empty attribute. */
static EntryAttr *
attr_new(const char *name)
{
    EntryAttr *a = g_new0(EntryAttr, 1);
    a->name = g_strdup(name);
    a->lname = g_ascii_strdown(name, -1);
    a->values = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    return a;
}

/* The position of value in a, or -1. */
static gint
attr_find_value(const EntryAttr *a, const void *value, gsize len)
{
    for (guint i = 0; i < a->values->len; i++) {
        GBytes *v = a->values->pdata[i];
        gsize vl;
        const void *vd = g_bytes_get_data(v, &vl);
        if (vl == len && (len == 0 || memcmp(vd, value, len) == 0))
            return (gint)i;
    }
    return -1;
}

/* TRUE if a holds exactly this value. */
static gboolean
attr_has_value(const EntryAttr *a, const void *value, gsize len)
{
    if (a->set != NULL) {
        GBytes *probe = g_bytes_new_static(len ? value : "", len);
        gboolean found = g_hash_table_contains(a->set, probe);
        g_bytes_unref(probe);
        return found;
    }
    return attr_find_value(a, value, len) >= 0;
}

/* Appends a value known to be new, maintaining the hash set. */
static void
attr_append(EntryAttr *a, GBytes *v)
{
    g_ptr_array_add(a->values, v);
    if (a->set == NULL && a->values->len > DEDUP_INDEX_MIN) {
        a->set = g_hash_table_new(g_bytes_hash, g_bytes_equal);
        for (guint i = 0; i < a->values->len; i++)
            g_hash_table_add(a->set, a->values->pdata[i]);
    } else if (a->set != NULL) {
        g_hash_table_add(a->set, v);
    }
}

/* The attribute named name (any case), or NULL. */
static EntryAttr *
entry_lookup(const MsmEntry *e, const char *name)
{
    char *l = g_ascii_strdown(name, -1);
    EntryAttr *a = g_hash_table_lookup(e->index, l);
    g_free(l);
    return a;
}

/* The attribute named name, created at the end if absent. */
static EntryAttr *
entry_lookup_or_add(MsmEntry *e, const char *name)
{
    EntryAttr *a = entry_lookup(e, name);
    if (a == NULL) {
        a = attr_new(name);
        g_ptr_array_add(e->attrs, a);
        g_hash_table_insert(e->index, a->lname, a);
    }
    return a;
}

/* Removes attribute a from e and frees it. */
static void
entry_drop(MsmEntry *e, EntryAttr *a)
{
    g_hash_table_remove(e->index, a->lname);
    g_ptr_array_remove(e->attrs, a); /* keeps the order of the others; frees a */
}

/* An entry without attributes. (transfer full) */
MsmEntry *
msm_entry_new(const char *dn)
{
    MsmEntry *e = g_new0(MsmEntry, 1);
    e->dn = g_strdup(dn ? dn : "");
    e->attrs = g_ptr_array_new_with_free_func((GDestroyNotify)attr_free);
    e->index = g_hash_table_new(g_str_hash, g_str_equal);
    return e;
}

/* A deep copy of entry. (transfer full) */
MsmEntry *
msm_entry_copy(const MsmEntry *entry)
{
    g_return_val_if_fail(entry != NULL, NULL);
    MsmEntry *c = msm_entry_new(entry->dn);
    for (guint i = 0; i < entry->attrs->len; i++) {
        const EntryAttr *a = entry->attrs->pdata[i];
        EntryAttr *n = entry_lookup_or_add(c, a->name);
        for (guint j = 0; j < a->values->len; j++)
            attr_append(n, g_bytes_ref(a->values->pdata[j]));
    }
    return c;
}

/* Frees an entry. */
void
msm_entry_free(MsmEntry *entry)
{
    if (entry == NULL)
        return;
    g_hash_table_unref(entry->index);
    g_ptr_array_unref(entry->attrs);
    g_free(entry->dn);
    g_free(entry);
}

/* The DN. (transfer none) */
const char *
msm_entry_dn(const MsmEntry *entry)
{
    g_return_val_if_fail(entry != NULL, NULL);
    return entry->dn;
}

/* Replaces the DN. */
void
msm_entry_set_dn(MsmEntry *entry, const char *dn)
{
    g_return_if_fail(entry != NULL);
    char *old = entry->dn;
    entry->dn = g_strdup(dn ? dn : "");
    g_free(old);
}

/* The values of name (any case), or NULL. (transfer none) */
GPtrArray *
msm_entry_get(const MsmEntry *entry, const char *name)
{
    g_return_val_if_fail(entry != NULL && name != NULL, NULL);
    EntryAttr *a = entry_lookup(entry, name);
    return a ? a->values : NULL;
}

/* The first value of name as a C string, or NULL. (transfer none) */
const char *
msm_entry_get_string(const MsmEntry *entry, const char *name)
{
    GPtrArray *vals = msm_entry_get(entry, name);
    if (vals == NULL || vals->len == 0)
        return NULL;
    gsize len;
    const char *s = g_bytes_get_data(vals->pdata[0], &len);
    return s != NULL ? s : ""; /* every value has a hidden NUL after its bytes */
}

/* Adds one value unless the attribute already has these exact bytes. */
void
msm_entry_add(MsmEntry *entry, const char *name, const void *value, gsize len)
{
    g_return_if_fail(entry != NULL && name != NULL && (value != NULL || len == 0));
    EntryAttr *a = entry_lookup_or_add(entry, name);
    if (attr_has_value(a, value, len))
        return;
    attr_append(a, value_new(value, len));
}

/* msm_entry_add() of a C string. */
void
msm_entry_add_string(MsmEntry *entry, const char *name, const char *value)
{
    g_return_if_fail(value != NULL);
    msm_entry_add(entry, name, value, strlen(value));
}

/* Replaces all values of name, keeping the attribute's place. */
void
msm_entry_replace_string(MsmEntry *entry, const char *name, const char *value)
{
    g_return_if_fail(entry != NULL && name != NULL);
    EntryAttr *a = entry_lookup(entry, name);
    if (value == NULL) {
        if (a != NULL)
            entry_drop(entry, a);
        return;
    }
    if (a == NULL) {
        msm_entry_add_string(entry, name, value);
        return;
    }
    /* Keep the attribute's place and name; only its values change. */
    if (a->set != NULL) {
        g_hash_table_unref(a->set);
        a->set = NULL;
    }
    g_ptr_array_set_size(a->values, 0);
    attr_append(a, value_new(value, strlen(value)));
}

/* Removes one value, or the attribute when value is NULL. */
gboolean
msm_entry_remove(MsmEntry *entry, const char *name, const void *value, gsize len)
{
    g_return_val_if_fail(entry != NULL && name != NULL, FALSE);
    EntryAttr *a = entry_lookup(entry, name);
    if (a == NULL)
        return FALSE;
    if (value == NULL) {
        entry_drop(entry, a);
        return TRUE;
    }
    gint pos;
    if (a->set != NULL) {
        /* the set gives the stored value; finding it by pointer is a cheap scan */
        GBytes *probe = g_bytes_new_static(len ? value : "", len);
        gpointer stored = NULL;
        gboolean found = g_hash_table_lookup_extended(a->set, probe, &stored, NULL);
        g_bytes_unref(probe);
        guint idx;
        if (!found || !g_ptr_array_find(a->values, stored, &idx))
            return FALSE;
        g_hash_table_remove(a->set, stored);
        pos = (gint)idx;
    } else {
        pos = attr_find_value(a, value, len);
        if (pos < 0)
            return FALSE;
    }
    g_ptr_array_remove_index(a->values, (guint)pos);
    if (a->values->len == 0)
        entry_drop(entry, a);
    return TRUE;
}

/* TRUE if objectClass holds oc (any case). */
gboolean
msm_entry_has_class(const MsmEntry *entry, const char *oc)
{
    g_return_val_if_fail(entry != NULL && oc != NULL, FALSE);
    GPtrArray *vals = msm_entry_get(entry, "objectClass");
    gsize ocl = strlen(oc);
    for (guint i = 0; vals && i < vals->len; i++) {
        gsize len;
        const char *v = g_bytes_get_data(vals->pdata[i], &len);
        if (len == ocl && (len == 0 || g_ascii_strncasecmp(v, oc, len) == 0))
            return TRUE;
    }
    return FALSE;
}

/* Attribute names in first-added order. (transfer container) */
GPtrArray *
msm_entry_attribute_names(const MsmEntry *entry)
{
    g_return_val_if_fail(entry != NULL, NULL);
    GPtrArray *names = g_ptr_array_sized_new(entry->attrs->len);
    for (guint i = 0; i < entry->attrs->len; i++)
        g_ptr_array_add(names, ((EntryAttr *)entry->attrs->pdata[i])->name);
    return names;
}

/* ---------------------------------------------------------------------- */
/* items                                                                  */
/* ---------------------------------------------------------------------- */

/* An item owning payload. (transfer full) */
MsmItem *
msm_item_new(MsmKind kind, const char *key, gpointer payload)
{
    g_return_val_if_fail((int)kind >= 0 && kind < MSM_KIND_COUNT && key != NULL, NULL);
    MsmItem *it = g_new0(MsmItem, 1);
    it->kind = kind;
    it->key = g_strdup(key);
    it->payload = payload;
    return it;
}

/* Frees an item and its payload by the kind's free function. */
void
msm_item_free(MsmItem *item)
{
    if (item == NULL)
        return;
    if (item->payload != NULL) {
        switch (item->kind) {
        case MSM_KIND_CONFIG:
            msm_config_file_free(item->payload);
            break;
        case MSM_KIND_STORE:
            msm_folder_free(item->payload);
            break;
        case MSM_KIND_QUEUE:
            msm_queued_message_free(item->payload);
            break;
        case MSM_KIND_DIRECTORY:
            msm_entry_free(item->payload);
            break;
        case MSM_KIND_COUNT:
        default:
            g_critical("msm_item_free: item %s has unknown kind %d; payload leaked", item->key,
                       (int)item->kind);
            break;
        }
    }
    g_free(item->key);
    g_free(item);
}
