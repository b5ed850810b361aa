/* libmicrohttpd, loaded when `silt serve` starts (base.h DYNLIB_FORWARD): the functions the
 * server calls, forwarded; the variadic ones through their va_list forms or with the arguments
 * silt passes. */
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "../base/base.h"

static struct dynlib libmhd = { "libmicrohttpd.so.12", "libmicrohttpd12", "silt serve",
	                        PTHREAD_MUTEX_INITIALIZER, NULL };

typedef struct MHD_Daemon *(*start_va_fn)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
                                          MHD_AccessHandlerCallback, void *, va_list);
typedef const union MHD_DaemonInfo *(*info_fn)(struct MHD_Daemon *, enum MHD_DaemonInfoType, ...);

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	start_va_fn f = (start_va_fn)dynlib_sym(&libmhd, "MHD_start_daemon_va");
	va_list ap;
	va_start(ap, dh_cls);
	struct MHD_Daemon *d = f(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

/* silt asks only for infos without extra arguments (MHD_DAEMON_INFO_BIND_PORT) */
const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *daemon,
                                                enum MHD_DaemonInfoType info_type, ...)
{
	info_fn f = (info_fn)dynlib_sym(&libmhd, "MHD_get_daemon_info");
	return f(daemon, info_type);
}

DYNLIB_FORWARD(libmhd, void, MHD_stop_daemon, (struct MHD_Daemon *d), (d))
DYNLIB_FORWARD(libmhd, const char *, MHD_lookup_connection_value,
               (struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key), (c, kind, key))
DYNLIB_FORWARD(libmhd, enum MHD_Result, MHD_queue_response,
               (struct MHD_Connection *c, unsigned int status, struct MHD_Response *r), (c, status, r))
DYNLIB_FORWARD(libmhd, struct MHD_Response *, MHD_create_response_from_callback,
               (uint64_t size, size_t block, MHD_ContentReaderCallback crc, void *cls,
                MHD_ContentReaderFreeCallback crfc),
               (size, block, crc, cls, crfc))
DYNLIB_FORWARD(libmhd, struct MHD_Response *, MHD_create_response_from_buffer,
               (size_t size, void *buffer, enum MHD_ResponseMemoryMode mode), (size, buffer, mode))
DYNLIB_FORWARD(libmhd, void, MHD_destroy_response, (struct MHD_Response *r), (r))
DYNLIB_FORWARD(libmhd, enum MHD_Result, MHD_add_response_header,
               (struct MHD_Response *r, const char *h, const char *v), (r, h, v))
