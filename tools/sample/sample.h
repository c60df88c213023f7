/*
 * sample.h - a deterministic generator of demo customer data.
 *
 * quire_sample_write() writes customers.csv (with profiles), orders.csv,
 * engagement.csv, surveys.csv, brand.csv, tickets.csv and spend.csv into a
 * folder. Customers carry a hidden persona (new, high value, regular,
 * declining, dormant) that changes from month to month, so the stock segment
 * rule sees customers move between VIP, Regular, At Risk, Inactive and New.
 * The same options give byte-identical files on every machine: the generator
 * uses its own random numbers and integer arithmetic only. docs/sample-data.md
 * describes the files and the behaviour behind them.
 */
#ifndef QUIRE_SAMPLE_H
#define QUIRE_SAMPLE_H

#include "error.h"

/* A month as counted in quire_sample_opts: year * 12 + (month - 1). */
#define QUIRE_SAMPLE_MONTH(year, month) ((year) * 12 + (month) - 1)

/* Limits checked by quire_sample_write(). */
#define QUIRE_SAMPLE_MAX_CUSTOMERS 10000000L
#define QUIRE_SAMPLE_MAX_ORDERS 1000000000L
#define QUIRE_SAMPLE_MAX_MONTHS 120

typedef struct quire_sample_opts {
    const char *out_dir;     /* created (with its parents) if missing */
    long customers;          /* default 10000 */
    long orders;             /* total orders wanted; 0 = the personas' own
                                rates, about 10 orders per customer a year */
    int first_month;         /* year * 12 + (month - 1); default 2023-05 */
    int months;              /* default 12: 2023-05 .. 2024-04 */
    unsigned long long seed; /* default 42 */
} quire_sample_opts;

/* Fill o with the defaults above; out_dir defaults to "data/sample". */
void quire_sample_defaults(quire_sample_opts *o);

/*
 * Write the seven CSV files into o->out_dir. Each is written to NAME.tmp and
 * renamed once all seven are complete, so a failure leaves the previous files
 * (if any) untouched and no .tmp file behind. Returns 0, or -1 with err set:
 * QUIRE_EXIT_USAGE for bad options, QUIRE_EXIT_DELIVERY when the folder or a
 * file cannot be created or written, QUIRE_EXIT_DATA when memory runs out.
 */
int quire_sample_write(const quire_sample_opts *o, quire_error *err);

#endif
