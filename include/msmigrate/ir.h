/*
 * NAME
 *	ir.h - the intermediate representation items travel in (DESIGN §5)
 * SUMMARY
 *	A reader (codec) turns a version's on-disk data into MsmItems; each hop's
 *	migrator transforms them in place; a writer (codec) writes the final form.
 *	An item is one journalled unit: a configuration file, one user folder,
 *	one queued message, one directory entry.
 * OWNERSHIP
 *	Always create IR values with the msm_*_new() functions and free them with
 *	the matching msm_*_free(); never allocate them yourself or take sizeof():
 *	new fields are appended without an ABI bump. String fields are owned by
 *	the struct (g_free'd by its free function); to replace one, g_free() the
 *	old value and store a g_strdup()'d new one. GPtrArray fields own their
 *	elements (they are created with a free function).
 */
#ifndef MSMIGRATE_IR_H
#define MSMIGRATE_IR_H

#include <glib.h>
#include <msmigrate/types.h>

G_BEGIN_DECLS

/* ---- message bodies: streamed, never whole in memory unless small ---- */

typedef struct MsmBody MsmBody;

/* Reads up to len bytes; returns bytes read, 0 at end, -1 on error (sets *error). */
typedef gssize (*MsmBodyReadFunc)(gpointer data, guint8 *buf, gsize len, GError **error);

/* A body reading from a callback. data is freed with free_func (may be NULL).
 * size is the exact byte count, or -1 if unknown. (transfer full) */
MsmBody *msm_body_new_stream(MsmBodyReadFunc read, gpointer data, GDestroyNotify free_func,
                             gint64 size);
/* A body over bytes already in memory. Takes a reference on bytes. (transfer full) */
MsmBody *msm_body_new_bytes(GBytes *bytes);
/* A body that reads a file when first read (the file is opened lazily). (transfer full) */
MsmBody *msm_body_new_file(const char *path, gint64 size);
/* Reads from the body. Same contract as MsmBodyReadFunc. */
gssize msm_body_read(MsmBody *body, guint8 *buf, gsize len, GError **error);
/* Exact size if known, else -1. */
gint64 msm_body_size(const MsmBody *body);
/* Reads the whole remaining body into memory (only for small bodies and tests).
 * Returns NULL on error. (transfer full) */
GBytes *msm_body_slurp(MsmBody *body, GError **error);
void msm_body_free(MsmBody *body);
/* The file whose exact bytes the body delivers: the path of a file body, or the path
 * a pass-through stream declared with msm_body_set_source_path(); NULL otherwise.
 * A writer on the same file system may adopt that file (hard link) instead of
 * copying the bytes, but must still read the body (digests are computed as it
 * streams). (transfer none: valid while the body is) */
const char *msm_body_source_path(const MsmBody *body);
/* Declares that a stream body delivers exactly the bytes of file path (NULL: none).
 * Only for wrappers that neither change nor drop bytes; ignored for file and bytes
 * bodies. path is copied. */
void msm_body_set_source_path(MsmBody *body, const char *path);

/* ---- configuration ---- */

/* One configuration file, relative to the deployment's configuration root
 * (for example "imta.cnf", "msg.conf", "ims/ims.cnf"). Bytes are exact. */
typedef struct {
    char *relpath;  /* '/'-separated, never absolute, never containing ".." */
    GBytes *content;
    guint32 mode;   /* permission bits, 0 if unknown */
    char *format;   /* format name once identified ("imta.cnf", "configutil", ...), or NULL */
} MsmConfigFile;

MsmConfigFile *msm_config_file_new(const char *relpath, GBytes *content);
void msm_config_file_free(MsmConfigFile *file);

/* ---- message store ---- */

#define MSM_FLAG_SEEN     (1u << 0)
#define MSM_FLAG_ANSWERED (1u << 1)
#define MSM_FLAG_FLAGGED  (1u << 2)
#define MSM_FLAG_DELETED  (1u << 3)
#define MSM_FLAG_DRAFT    (1u << 4)
#define MSM_FLAG_RECENT   (1u << 5)

/* The owner of folders: a user (uid, or uid@domain in a hosted domain). */
typedef struct {
    char *user;        /* "joe" or "joe@example.com" */
    char *partition;   /* "primary" unless the store says otherwise */
    gint64 quota_bytes;    /* -1 = no quota */
    gint64 quota_messages; /* -1 = no quota */
    gint64 used_bytes;     /* -1 = unknown */
    GPtrArray *subscriptions; /* char* folder names (UTF-8, '/' separated) */
} MsmOwner;

/* One access-control entry (RFC 2086 rights "lrswipcda"). */
typedef struct {
    char *identifier;  /* "anyone", "joe", "group=staff@example.com" ... */
    char *rights;
} MsmAce;

/* One message. The body is streamed; size is the exact body size. */
typedef struct {
    guint32 uid;
    guint32 flags;        /* MSM_FLAG_* */
    GPtrArray *keywords;  /* char* IMAP keywords */
    gint64 internal_date; /* seconds since the epoch, UTC */
    gint64 size;          /* bytes */
    MsmBody *body;
} MsmMessage;

typedef struct MsmMessageIter MsmMessageIter;
/* Yields the next message in *msg_r (transfer full), or NULL at the end. */
typedef gboolean (*MsmMessageNextFunc)(gpointer data, MsmMessage **msg_r, GError **error);

/* An iterator over the messages of a folder (transfer full). */
MsmMessageIter *msm_message_iter_new(MsmMessageNextFunc next, gpointer data,
                                     GDestroyNotify free_func);
/* Next message (transfer full) into *msg_r, NULL at the end; FALSE on error. */
gboolean msm_message_iter_next(MsmMessageIter *iter, MsmMessage **msg_r, GError **error);
void msm_message_iter_free(MsmMessageIter *iter);

/* One folder of one owner: the store's journal item. */
typedef struct {
    MsmOwner *owner;       /* owned by the folder */
    char *name;            /* UTF-8, '/'-separated, relative to the owner: "INBOX", "Archive/2009" */
    guint32 uidvalidity;
    guint32 uidnext;
    GPtrArray *acl;        /* MsmAce* */
    guint64 message_count; /* as the reader found it, for progress and verify */
    MsmMessageIter *messages; /* consumed once by the writer */
} MsmFolder;

MsmMessage *msm_message_new(void);
void msm_message_free(MsmMessage *msg);
MsmOwner *msm_owner_new(const char *user);
MsmOwner *msm_owner_copy(const MsmOwner *owner);
void msm_owner_free(MsmOwner *owner);
MsmAce *msm_ace_new(const char *identifier, const char *rights);
void msm_ace_free(MsmAce *ace);
/* Takes ownership of owner. */
MsmFolder *msm_folder_new(MsmOwner *owner, const char *name);
void msm_folder_free(MsmFolder *folder);

/* ---- MTA queue ---- */

typedef struct {
    char *address;      /* envelope recipient */
    char *original;     /* original recipient (ORCPT) or NULL */
    guint32 notify;     /* DSN notify bits, 0 if none */
} MsmRecipient;

/* One queued message with its envelope (PMDF-lineage or NMS model). */
typedef struct {
    char *channel;         /* "tcp_local", "ims-ms", ... */
    char *name;            /* file name in the queue, as found ("ZZ...00"), or NULL */
    char *sender;          /* envelope From ("" for the null sender) */
    GPtrArray *recipients; /* MsmRecipient* */
    guint attempts;        /* delivery attempts so far */
    gint64 created;        /* seconds since the epoch */
    gint64 last_attempt;   /* seconds since the epoch, 0 if never */
    gboolean held;         /* .HELD */
    GPtrArray *extra;      /* char*: envelope records carried verbatim ("x;value") */
    MsmBody *body;         /* RFC 822 message bytes */
} MsmQueuedMessage;

MsmRecipient *msm_recipient_new(const char *address);
void msm_recipient_free(MsmRecipient *rcpt);
MsmQueuedMessage *msm_queued_message_new(const char *channel);
void msm_queued_message_free(MsmQueuedMessage *qm);

/* ---- directory ---- */

/* One LDAP entry. Attribute names are matched case-insensitively, values are
 * exact bytes. Attributes keep the order in which they were first added. */
typedef struct MsmEntry MsmEntry;

MsmEntry *msm_entry_new(const char *dn);
MsmEntry *msm_entry_copy(const MsmEntry *entry);
void msm_entry_free(MsmEntry *entry);
/* (transfer none) */
const char *msm_entry_dn(const MsmEntry *entry);
void msm_entry_set_dn(MsmEntry *entry, const char *dn);
/* Values of attribute name, or NULL when absent. (transfer none: GBytes*) */
GPtrArray *msm_entry_get(const MsmEntry *entry, const char *name);
/* First value as a NUL-terminated string, or NULL. (transfer none) */
const char *msm_entry_get_string(const MsmEntry *entry, const char *name);
/* Adds one value (duplicates are ignored). */
void msm_entry_add(MsmEntry *entry, const char *name, const void *value, gsize len);
void msm_entry_add_string(MsmEntry *entry, const char *name, const char *value);
/* Replaces all values of name with value (NULL value = remove the attribute). */
void msm_entry_replace_string(MsmEntry *entry, const char *name, const char *value);
/* Removes one value (value != NULL) or the whole attribute. TRUE if something was removed. */
gboolean msm_entry_remove(MsmEntry *entry, const char *name, const void *value, gsize len);
/* TRUE if the entry has objectClass oc (case-insensitive). */
gboolean msm_entry_has_class(const MsmEntry *entry, const char *oc);
/* Attribute names in first-added order. (transfer container: free the array only) */
GPtrArray *msm_entry_attribute_names(const MsmEntry *entry);

/* ---- the journalled item ---- */

typedef struct {
    MsmKind kind;
    char *key;      /* stable identity within the kind: "imta.cnf", "user/joe/INBOX",
                     * "queue/tcp_local/ZZ0001.00", the entry's normalised DN */
    gpointer payload; /* MsmConfigFile* | MsmFolder* | MsmQueuedMessage* | MsmEntry* */
} MsmItem;

/* Creates an item; takes ownership of payload (freed by the kind's free function). */
MsmItem *msm_item_new(MsmKind kind, const char *key, gpointer payload);
void msm_item_free(MsmItem *item);

G_END_DECLS

#endif
