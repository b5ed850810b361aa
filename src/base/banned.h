/* Functions silt never calls: unbounded copies and formatting. Included by base.h, so using one
 * is a compile error (git's banned.h). Use struct buf and snprintf-based buf_printf instead. */
#ifndef SILT_BANNED_H
#define SILT_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_silt

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)

#endif
