/*
 * pattern.h - Lua 5.4 string patterns whose work is metered.
 *
 * string.find, string.match, string.gmatch and string.gsub match patterns
 * (Lua 5.4 reference manual, section 6.4.1) in a C loop that never returns
 * to the VM: a backtracking pattern such as ".-.-.-.-b" over a long subject
 * runs for hours, and no count hook sees it. These are the same four
 * functions, with the same results and errors as Lua's, over a matcher that
 * counts its steps (a pattern item tried at a position, a character of a
 * repetition or a balance scanned) and hands them to a meter every
 * PATTERN_METER_STEPS steps. The meter may raise a Lua error to stop the
 * match; the matcher holds nothing that such an error would leak.
 *
 * A plain find (the fourth argument true, or a pattern without magic
 * characters) is Lua's own: it does not backtrack.
 */
#ifndef QUIRE_PATTERN_H
#define QUIRE_PATTERN_H

#include <lua.h>

#define PATTERN_METER_STEPS 1000

typedef struct pattern_meter {
    /* Called with L (the calling state) every PATTERN_METER_STEPS steps
     * of one match; returns, or raises a Lua error to stop it. */
    void (*charge)(lua_State *L, unsigned long steps);
} pattern_meter;

/* Replace find, match, gmatch and gsub in the table at index t (the string
 * library) by metered ones; m must outlive the state. */
void pattern_install(lua_State *L, int t, const pattern_meter *m);

#endif
