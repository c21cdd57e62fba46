# core/queue.mk - (area fragment; see Makefile.am)
# MTA queues (issue 6): the NMS 4.x queue codec, channel renames and the queue
# operations shared by `msmigrate queue`, the queues-empty check and `run --wait`;
# queue-file.[ch]: the file-level code the pmdf, nms4 and nms3 queue codecs share.
core_libmsmigrate_la_SOURCES += \
	core/codec-nms4-queue.c \
	core/queue-rename.c core/queue-rename.h \
	core/queue-file.c core/queue-file.h
