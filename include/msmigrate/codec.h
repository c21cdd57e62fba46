/*
 * NAME
 *	codec.h - readers and writers of one kind of data for some versions
 * SUMMARY
 *	A codec turns one or more versions' on-disk format of one kind into
 *	MsmItems (reader) and back (writer). Core registers the codecs of
 *	formats shared by many versions; a plugin registers in its descriptor
 *	the codecs of formats only its hops start from (DESIGN §5).
 * CONTRACT
 *	- reader_open(): opens the deployment at root for version; returns an
 *	  opaque reader (transfer full, closed with reader_close) or NULL + error.
 *	- reader_next(): yields the next item (transfer full) in *item_r, or
 *	  NULL at the end; order must be stable between runs (resume relies on
 *	  it only for progress, never for correctness). Store items must stream
 *	  their messages: no reader may load a whole store into memory.
 *	  A failure with MSM_ERROR_PARSE or MSM_ERROR_UNSAFE means one entry
 *	  could not be read or was refused (a malformed file, a symlink): the
 *	  message names it, the reader has moved past it, and the host records
 *	  the failure and calls reader_next again. Any other error ends the kind.
 *	- writer_put(): writes one item; MUST be idempotent per item key
 *	  (replace, never append): a run killed after a put but before the
 *	  journal recorded it puts the same item again on --resume. Consumes
 *	  the item's streams but does not free the item.
 *	- writer_commit(): makes everything put so far durable (fsync, index
 *	  files). Called at the end of each kind and at checkpoints.
 *	- With MSM_CODEC_THREADSAFE in flags, writer_put may be called from
 *	  several threads at once for different items (the store is migrated
 *	  by a pool of workers, one user at a time per worker); without it the
 *	  host calls writer_put from one thread.
 *	- reader_estimate() (optional) gives the number of items and bytes the
 *	  reader will yield, for progress with an ETA; it must be cheap.
 *	- rollback() (optional) undoes what writers of run ctx->run_id wrote at
 *	  root: a writer that replaces existing data keeps what it replaced in
 *	  the run's work directory (msm_ctx_work_dir) so rollback can restore it
 *	  byte for byte, and removes what it created. It must be idempotent (a
 *	  rollback killed half way is run again).
 *	- Nothing is written outside root. Untrusted names are rejected with
 *	  MSM_ERROR_UNSAFE or encoded.
 */
#ifndef MSMIGRATE_CODEC_H
#define MSMIGRATE_CODEC_H

#include <glib.h>
#include <msmigrate/context.h>
#include <msmigrate/ir.h>
#include <msmigrate/types.h>

G_BEGIN_DECLS

#define MSM_CODEC_IFACE_VERSION 1

#define MSM_CODEC_THREADSAFE (1u << 0) /* writer_put may run concurrently */

typedef struct {
    guint32 iface_version; /* MSM_CODEC_IFACE_VERSION */
    guint32 struct_size;   /* sizeof(MsmCodec) */
    const char *name;      /* "classic-store", "pmdf-queue", "config-files" ... */
    MsmKind kind;
    const char *const *versions; /* NULL-terminated canonical ids it reads and writes */
    guint32 flags;               /* MSM_CODEC_* */

    gpointer (*reader_open)(MsmCtx *ctx, const char *root, const char *version, GError **error);
    gboolean (*reader_next)(gpointer reader, MsmItem **item_r, GError **error);
    void (*reader_close)(gpointer reader);

    gpointer (*writer_open)(MsmCtx *ctx, const char *root, const char *version, GError **error);
    gboolean (*writer_put)(gpointer writer, MsmItem *item, GError **error);
    gboolean (*writer_commit)(gpointer writer, GError **error);
    void (*writer_close)(gpointer writer);

    gboolean (*reader_estimate)(gpointer reader, guint64 *items_r, guint64 *bytes_r);
    gboolean (*rollback)(MsmCtx *ctx, const char *root, const char *version, GError **error);

    gpointer spare[8]; /* must be NULL */
} MsmCodec;

/* The codec the run's loaded plugins (or core) provide for kind at version, the
 * one the host itself would use; NULL when none is loaded. For guards and tools
 * that must read or write data of a version other than their hop's (the ZFS guard
 * reads the migrated store and restores into the old one). (transfer none: valid
 * while the context is) */
const MsmCodec *msm_ctx_find_codec(MsmCtx *ctx, MsmKind kind, const char *version);

G_END_DECLS

#endif
