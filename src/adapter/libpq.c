/* libpq, loaded the first time a PostgreSQL connection is made (base.h DYNLIB_FORWARD): every
 * libpq function postgres.c calls, forwarded. */
#include <libpq-fe.h>

#include "../base/base.h"

static struct dynlib libpq = { "libpq.so.5", "libpq5", "PostgreSQL", PTHREAD_MUTEX_INITIALIZER, NULL };

DYNLIB_FORWARD(libpq, PGconn *, PQconnectdbParams,
               (const char *const *k, const char *const *v, int expand), (k, v, expand))
DYNLIB_FORWARD(libpq, void, PQfinish, (PGconn *c), (c))
DYNLIB_FORWARD(libpq, PGcancel *, PQgetCancel, (PGconn *c), (c))
DYNLIB_FORWARD(libpq, void, PQfreeCancel, (PGcancel *c), (c))
DYNLIB_FORWARD(libpq, int, PQcancel, (PGcancel *c, char *buf, int n), (c, buf, n))
DYNLIB_FORWARD(libpq, ConnStatusType, PQstatus, (const PGconn *c), (c))
DYNLIB_FORWARD(libpq, PGTransactionStatusType, PQtransactionStatus, (const PGconn *c), (c))
DYNLIB_FORWARD(libpq, char *, PQerrorMessage, (const PGconn *c), (c))
DYNLIB_FORWARD(libpq, PQnoticeReceiver, PQsetNoticeReceiver,
               (PGconn *c, PQnoticeReceiver proc, void *arg), (c, proc, arg))
DYNLIB_FORWARD(libpq, PGresult *, PQexec, (PGconn *c, const char *q), (c, q))
DYNLIB_FORWARD(libpq, PGresult *, PQexecParams,
               (PGconn *c, const char *q, int n, const Oid *types, const char *const *values,
                const int *lengths, const int *formats, int result_format),
               (c, q, n, types, values, lengths, formats, result_format))
DYNLIB_FORWARD(libpq, ExecStatusType, PQresultStatus, (const PGresult *r), (r))
DYNLIB_FORWARD(libpq, char *, PQresultErrorMessage, (const PGresult *r), (r))
DYNLIB_FORWARD(libpq, char *, PQresultErrorField, (const PGresult *r, int code), (r, code))
DYNLIB_FORWARD(libpq, int, PQntuples, (const PGresult *r), (r))
DYNLIB_FORWARD(libpq, int, PQnfields, (const PGresult *r), (r))
DYNLIB_FORWARD(libpq, char *, PQfname, (const PGresult *r, int i), (r, i))
DYNLIB_FORWARD(libpq, Oid, PQftype, (const PGresult *r, int i), (r, i))
DYNLIB_FORWARD(libpq, char *, PQcmdStatus, (PGresult *r), (r))
DYNLIB_FORWARD(libpq, char *, PQcmdTuples, (PGresult *r), (r))
DYNLIB_FORWARD(libpq, char *, PQgetvalue, (const PGresult *r, int row, int col), (r, row, col))
DYNLIB_FORWARD(libpq, int, PQgetlength, (const PGresult *r, int row, int col), (r, row, col))
DYNLIB_FORWARD(libpq, int, PQgetisnull, (const PGresult *r, int row, int col), (r, row, col))
DYNLIB_FORWARD(libpq, void, PQclear, (PGresult *r), (r))
