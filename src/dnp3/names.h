/* SPDX-License-Identifier: MIT */
/*
 * Enum -> name: one helper behind every name table generated from an
 * X-macro list, with one fallback text for values the table does not name
 * (out of range, or a hole in a sparse code table).
 *
 *      #define LINK_NAME(name, ...) [LINK_FUNC_##name] = #name,
 *      NAMES_DEFINE(link_func_name, enum link_func, LINK_FUNC_LIST, LINK_NAME)
 *
 * defines `static const char *const link_func_name_tab[]` from the list and
 * `const char *link_func_name(enum link_func v)`, which returns the entry or
 * NAMES_UNKNOWN.  ENTRY(...) expands one list row to `[index] = "text",`;
 * NAMES_BY_CODE serves the lists whose rows are X(NAME, code) and whose text
 * is the enum name.  Negative values convert to huge indexes: out of range.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define NAMES_UNKNOWN "UNKNOWN"

/* The text of entry i of tab[n], NULL when there is none. */
static inline const char *names_find(const char *const *tab, size_t n, size_t i)
{
        return i < n ? tab[i] : NULL;
}

/* The text of entry i of tab[n], NAMES_UNKNOWN when there is none. */
static inline const char *names_get(const char *const *tab, size_t n, size_t i)
{
        const char *s = names_find(tab, n, i);
        return s ? s : NAMES_UNKNOWN;
}

#define NAMES_COUNT(tab) (sizeof(tab) / sizeof((tab)[0]))
#define NAMES_LOOKUP(tab, v) names_get((tab), NAMES_COUNT(tab), (size_t)(v))

/* X(NAME, code, ...) rows named by their enum name, indexed by code. */
#define NAMES_BY_CODE(name, code, ...) [code] = #name,

/* X(NAME, "text") rows of an enum numbered in list order (NAMES_ENUM): the text, in order. */
#define NAMES_BY_ORDER(name, str) str,

/*
 * The enum of an X(NAME, "text") list, numbered in list order and closed by
 * max, and the declaration of its name function fn, which the .c file
 * defines with NAMES_DEFINE(fn, enum tag, LIST, NAMES_BY_ORDER):
 *
 *      #define MASTER_TSYNC_ENUM(name, str) MASTER_TSYNC_##name,
 *      NAMES_ENUM(master_tsync, MASTER_TSYNC_LIST, MASTER_TSYNC_ENUM, MASTER_TSYNC_MAX,
 *                 master_tsync_name);
 */
#define NAMES_ENUM(tag, LIST, ENTRY, max, fn)   \
        enum tag { LIST(ENTRY) max };           \
        const char *fn(enum tag v)

#define NAMES_DEFINE(fn, argtype, LIST, ENTRY)                  \
        static const char *const fn##_tab[] = { LIST(ENTRY) };  \
        const char *fn(argtype v)                               \
        {                                                       \
                return NAMES_LOOKUP(fn##_tab, v);               \
        }

/* NAMES_DEFINE plus `const char *fn_find(argtype v)`: the entry or NULL. */
#define NAMES_DEFINE_FIND(fn, argtype, LIST, ENTRY)                                     \
        NAMES_DEFINE(fn, argtype, LIST, ENTRY)                                          \
        const char *fn##_find(argtype v)                                                \
        {                                                                               \
                return names_find(fn##_tab, NAMES_COUNT(fn##_tab), (size_t)v);          \
        }

/* Whether a and b are equal but for the case of ASCII letters. */
static inline bool names_equal_nocase(const char *a, const char *b)
{
        for (;; a++, b++) {
                char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
                char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
                if (x != y)
                        return false;
                if (!x)
                        return true;
        }
}

/* The index of the entry of tab[n] equal to s, ignoring case; -1 if none. */
static inline int names_index(const char *const *tab, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (tab[i] && names_equal_nocase(tab[i], s))
                        return (int)i;
        return -1;
}
