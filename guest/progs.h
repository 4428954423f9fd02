/* Built-in programs pvos can run, picked by prog= on the command line. */
#ifndef PVOS_PROGS_H
#define PVOS_PROGS_H
struct program { const char *name; int (*fn)(void); const char *help; };
extern const struct program programs[];
const struct program *find_program(const char *name);
#endif
