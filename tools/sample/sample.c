/*
 * sample.c - deterministic sample data: customers and their profiles, orders,
 * engagement, surveys, brand surveys, support tickets and spend.
 *
 * Every customer carries a latent persona that changes from month to month:
 *
 *   NEW        signed up this month or last; a first order within days of
 *              signing up, then a few small ones; settles into one of the
 *              others at the start of the second month after sign-up.
 *   VIP        frequent, large orders; reads its email, visits the site.
 *   REGULAR    an order every month or two of $60-150.
 *   DECLINING  an order rate that decays every month until it falls below
 *              one order in sixteen months and the customer turns DORMANT.
 *   DORMANT    rarely or never buys; now and then reactivated (more often
 *              around the November/December sales).
 *
 * Monthly transitions move customers between personas (upgrades, slow
 * declines, recoveries, reactivations), so the segments a rule derives from
 * recency, frequency, revenue and tenure drift from month to month.
 *
 * Determinism: all randomness comes from xoshiro256** streams seeded from the
 * options' seed, one stream per purpose; all arithmetic is on integers (rates
 * in thousandths, probabilities in units of 2^-32, money in cents); numbers
 * are formatted by hand. Nothing depends on the locale, the clock or libm.
 *
 * Order: the window is walked month by month, day by day; each day every
 * customer signed up so far gets a Bernoulli draw with its daily order
 * probability, in customer order, so orders.csv comes out sorted by date with
 * nothing buffered but the output. engagement.csv, surveys.csv, brand.csv and
 * tickets.csv are written month by month, spend.csv at the end. A first pass
 * over the personas alone comes before: the profiles in customers.csv lean on
 * it, and --orders takes its scale from it.
 */
#include "sample.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic.h"
#include "date.h"

/* ---------------------------------------------------------------- random */

typedef struct rng {
    uint64_t s[4];
} rng;

/* New streams go at the end, so adding one leaves the others' numbers alone. */
enum {
    S_SIGNUP, S_NAMES, S_INIT, S_LIFE, S_ORDERS, S_ENGAGE,
    S_PROFILE, S_CLICKS, S_SURVEY, S_BRAND, S_TICKET, S_SPEND
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_init(rng *r, uint64_t seed, unsigned stream)
{
    uint64_t x = seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(stream + 1));
    int i;

    for (i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* A number in [0, n). */
static inline uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

/* A number in [lo, hi]. */
static inline uint32_t rng_range(rng *r, uint32_t lo, uint32_t hi)
{
    return lo + rng_below(r, hi - lo + 1);
}

/* True with probability permille / 1000. */
static inline int rng_chance(rng *r, uint32_t permille)
{
    return rng_below(r, 1000) < permille;
}

/*
 * A right-skewed multiplier in thousandths with mean 1000: the inverse CDF of
 * a log-normal with sigma 0.45 at 65 points (0.2 %, 1/64 .. 63/64, 99.8 %),
 * interpolated linearly. Used for order amounts and web visits.
 */
static const uint16_t spread_q[65] = {
    247,  343,  391,  425,  453,  477,  499,  519,  538,  556,  573,  590,  606,
    621,  637,  652,  667,  681,  696,  710,  725,  739,  754,  768,  782,  797,
    812,  826,  841,  857,  872,  887,  903,  919,  936,  952,  969,  987,  1005,
    1023, 1042, 1062, 1082, 1103, 1125, 1148, 1172, 1197, 1223, 1251, 1281, 1312,
    1346, 1383, 1423, 1467, 1516, 1571, 1634, 1709, 1801, 1920, 2088, 2381, 3298};

static inline uint32_t rng_spread(rng *r)
{
    uint64_t x = rng_next(r);
    unsigned i = (unsigned)(x >> 58);
    uint32_t f = (uint32_t)(x >> 42) & 0xFFFFu;

    return spread_q[i] + (uint32_t)(((uint64_t)(spread_q[i + 1] - spread_q[i]) * f) >> 16);
}

/* ----------------------------------------------------------------- dates */

/* Days since 1970-01-01 (quire/plugin.h's calendar) of a month's first day. */
static long month_first_day(long month)
{
    return (long)quire_days_from_civil(month / 12, (int)(month % 12) + 1, 1);
}

/* 0 = Sunday .. 6 = Saturday; 1970-01-01 was a Thursday. */
static int weekday(long day)
{
    return (int)(((day % 7) + 11) % 7);
}

/* ------------------------------------------------------------ formatting */

static char *put_u(char *p, uint64_t v)
{
    char t[20];
    int n = 0;

    do
        t[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        *p++ = t[--n];
    return p;
}

static char *put_2(char *p, unsigned v)
{
    *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

static char *put_cents(char *p, uint64_t cents)
{
    p = put_u(p, cents / 100);
    *p++ = '.';
    return put_2(p, (unsigned)(cents % 100));
}

/* YYYY-MM or YYYY-MM-DD; years are validated to have four digits. */
static char *put_date(char *p, long day, int with_day)
{
    int64_t y;
    int m, d;

    quire_civil_from_days(day, &y, &m, &d);
    p = put_2(p, (unsigned)(y / 100));
    p = put_2(p, (unsigned)(y % 100));
    *p++ = '-';
    p = put_2(p, (unsigned)m);
    if (with_day) {
        *p++ = '-';
        p = put_2(p, (unsigned)d);
    }
    return p;
}

/* A CSV field, quoted (RFC 4180) when it holds a comma, quote or newline. */
static char *put_field(char *p, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        size_t n = strlen(s);
        memcpy(p, s, n);
        return p + n;
    }
    *p++ = '"';
    for (; *s; s++) {
        if (*s == '"')
            *p++ = '"';
        *p++ = *s;
    }
    *p++ = '"';
    return p;
}

/* ---------------------------------------------------------------- output */

#define OUT_CAP (1u << 20)
#define OUT_LINE 1024 /* longest line we ever format */

typedef struct out_file {
    atomic_file af; /* DIR/NAME, written as DIR/NAME.tmp */
    char *buf;
    size_t len;
} out_file;

static int out_open(out_file *f, const char *dir, const char *name, quire_error *err)
{
    size_t n = strlen(dir) + strlen(name) + 8;
    char *path = malloc(n), *tmp = malloc(n);
    int rc = -1;

    f->buf = malloc(OUT_CAP);
    if (!path || !tmp || !f->buf) {
        quire_err(err, QUIRE_EXIT_DATA, "sample: out of memory");
    } else {
        snprintf(path, n, "%s/%s", dir, name);
        snprintf(tmp, n, "%s/%s.tmp", dir, name);
        rc = atomic_open(&f->af, path, tmp, 0666, 0, err);
    }
    free(path);
    free(tmp);
    return rc;
}

static int out_flush(out_file *f, quire_error *err)
{
    if (atomic_put(&f->af, f->buf, f->len, err))
        return -1;
    f->len = 0;
    return 0;
}

/* Where the next line goes: room for OUT_LINE bytes, or NULL on error. */
static inline char *out_room(out_file *f, quire_error *err)
{
    if (OUT_CAP - f->len < OUT_LINE && out_flush(f, err))
        return NULL;
    return f->buf + f->len;
}

static inline void out_done(out_file *f, const char *end)
{
    f->len = (size_t)(end - f->buf);
}

static int out_put(out_file *f, const char *s, quire_error *err)
{
    char *p = out_room(f, err);
    size_t n = strlen(s);

    if (!p)
        return -1;
    memcpy(p, s, n);
    out_done(f, p + n);
    return 0;
}

/* Write out the rest and sync; the rename comes once every file is complete. */
static int out_finish(out_file *f, quire_error *err)
{
    if (out_flush(f, err))
        return -1;
    return atomic_sync(&f->af, err);
}

/* Close and remove the temporary file, if any is left; free everything. */
static void out_discard(out_file *f)
{
    atomic_abort(&f->af);
    free(f->buf);
    memset(f, 0, sizeof *f);
}

/* mkdir -p */
static int make_dirs(const char *dir, quire_error *err)
{
    size_t n = strlen(dir);
    char *p = malloc(n + 1), *s;
    struct stat st;

    if (!p)
        return quire_err(err, QUIRE_EXIT_DATA, "sample: out of memory");
    memcpy(p, dir, n + 1);
    for (s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) && errno != EEXIST) {
                int e = errno;
                free(p);
                return quire_err(err, QUIRE_EXIT_DELIVERY, "sample: cannot create directory %s: %s",
                                 dir, strerror(e));
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    if (stat(dir, &st))
        return quire_err(err, QUIRE_EXIT_DELIVERY, "sample: cannot create directory %s: %s", dir,
                         strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return quire_err(err, QUIRE_EXIT_DELIVERY, "sample: cannot create directory %s: %s", dir,
                         strerror(ENOTDIR));
    return 0;
}

/* ----------------------------------------------------------------- names */

typedef struct word {
    const char *text;  /* as written */
    const char *ascii; /* for the email address; NULL = text, lower-cased */
} word;

#define W(t) {t, NULL}
#define WA(t, a) {t, a}
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const word en_first[] = {
    /* male first (EN_MALE entries), then female */
    W("James"), W("John"), W("Robert"), W("Michael"), W("William"), W("David"), W("Richard"),
    W("Joseph"), W("Thomas"), W("Charles"), W("Christopher"), W("Daniel"), W("Matthew"),
    W("Anthony"), W("Mark"), W("Steven"), W("Andrew"), W("Joshua"), W("Kevin"), W("Brian"),
    W("George"), W("Edward"), W("Ryan"), W("Jacob"), W("Nathan"), W("Samuel"), W("Benjamin"),
    W("Patrick"), W("Liam"), W("Noah"), W("Oliver"), W("Ethan"),
    W("Mary"), W("Patricia"), W("Jennifer"), W("Linda"), W("Elizabeth"), W("Barbara"),
    W("Susan"), W("Jessica"), W("Sarah"), W("Karen"), W("Emily"), W("Emma"), W("Olivia"),
    W("Sophia"), W("Ava"), W("Isabella"), W("Charlotte"), W("Amelia"), W("Grace"), W("Hannah"),
    W("Megan"), W("Rachel"), W("Laura"), W("Rebecca"), W("Nicole"), W("Katherine"),
    W("Margaret"), W("Chloe"), W("Lily"), W("Mia")};
#define EN_MALE 32

static const word en_last[] = {
    W("Smith"), W("Johnson"), W("Williams"), W("Brown"), W("Jones"), W("Miller"), W("Davis"),
    W("Wilson"), W("Anderson"), W("Taylor"), W("Thomas"), W("Moore"), W("Jackson"), W("Martin"),
    W("Lee"), W("Thompson"), W("White"), W("Harris"), W("Clark"), W("Lewis"), W("Robinson"),
    W("Walker"), W("Young"), W("Allen"), W("King"), W("Wright"), W("Scott"), W("Hill"),
    W("Green"), W("Adams"), W("Baker"), W("Nelson"), W("Carter"), W("Mitchell"), W("Roberts"),
    W("Turner"), W("Phillips"), W("Campbell"), W("Parker"), W("Evans"), W("Edwards"),
    W("Collins"), W("Stewart"), W("Morris"), W("Murphy"), W("Cook"), W("Rogers"),
    WA("O'Brien", "obrien"), WA("O'Connor", "oconnor"), W("McDonald"), W("Bennett"), W("Hughes"),
    W("Price"), W("Foster"), W("Sanders"), W("Ross"), W("Kelly"), W("Ward"), W("Cooper"),
    W("Reed"), W("Bailey"), W("Bell")};

static const word es_first[] = {
    WA("José", "jose"), WA("María", "maria"), WA("Lucía", "lucia"), W("Javier"),
    WA("Sofía", "sofia"), W("Alejandro"), W("Carmen"), WA("Andrés", "andres"), W("Isabel"),
    WA("Raúl", "raul"), W("Elena"), WA("Martín", "martin"), W("Valentina"), W("Diego"),
    WA("Inés", "ines"), W("Sergio"), W("Paula"), WA("Jesús", "jesus"), W("Camila"), W("Mateo")};
static const word es_last[] = {
    WA("García", "garcia"), WA("Fernández", "fernandez"), WA("López", "lopez"),
    WA("Martínez", "martinez"), WA("Rodríguez", "rodriguez"), WA("González", "gonzalez"),
    WA("Pérez", "perez"), WA("Sánchez", "sanchez"), WA("Ramírez", "ramirez"), W("Torres"),
    W("Flores"), WA("Díaz", "diaz"), WA("Núñez", "nunez"), W("Morales"), W("Ortiz"),
    W("Castillo"), WA("Jiménez", "jimenez"), W("Ruiz"), W("Herrera"), WA("Muñoz", "munoz")};

static const word de_first[] = {
    WA("Zoë", "zoe"), WA("Jürgen", "juergen"), W("Lukas"), W("Anna"), W("Felix"), W("Lena"),
    W("Maximilian"), W("Sophie"), W("Jonas"), W("Lea"), WA("Günter", "guenter"),
    WA("Käthe", "kaethe"), W("Matthias"), W("Hannah"), W("Sebastian"), WA("Jörg", "joerg")};
static const word de_last[] = {
    WA("Müller", "mueller"), W("Schmidt"), W("Schneider"), W("Fischer"), W("Weber"), W("Meyer"),
    W("Wagner"), W("Becker"), W("Schulz"), W("Hoffmann"), WA("Schröder", "schroeder"), W("Koch"),
    WA("Weiß", "weiss"), WA("Krüger", "krueger"), W("Braun"), W("Zimmermann"), W("Hartmann"),
    W("Lange")};

static const word fr_first[] = {
    WA("Chloé", "chloe"), WA("Hélène", "helene"), WA("François", "francois"),
    WA("Benoît", "benoit"), W("Camille"), W("Julien"), WA("Léa", "lea"), WA("Théo", "theo"),
    W("Manon"), W("Nicolas"), WA("Amélie", "amelie"), WA("Gaël", "gael"), WA("Céline", "celine"),
    W("Mathieu")};
static const word fr_last[] = {
    W("Martin"), W("Bernard"), W("Dubois"), W("Thomas"), W("Robert"), W("Richard"), W("Petit"),
    W("Durand"), W("Leroy"), W("Moreau"), WA("Lefèvre", "lefevre"), W("Fournier"), W("Girard"),
    W("Bonnet"), W("Rousseau"), W("Faure"), W("Chevalier"), W("Lambert")};

static const word it_first[] = {
    W("Giulia"), W("Marco"), W("Alessandro"), W("Francesca"), W("Luca"), W("Chiara"),
    W("Matteo"), W("Sara"), WA("Niccolò", "niccolo"), W("Martina"), W("Davide"), W("Elisa")};
static const word it_last[] = {
    W("Rossi"), W("Russo"), W("Ferrari"), W("Esposito"), W("Bianchi"), W("Romano"), W("Colombo"),
    W("Ricci"), W("Marino"), W("Greco"), W("Bruno"), W("Gallo"), W("Conti"),
    WA("De Luca", "deluca"), W("Mancini")};

static const word pl_first[] = {
    WA("Łukasz", "lukasz"), WA("Małgorzata", "malgorzata"), WA("Paweł", "pawel"),
    W("Agnieszka"), W("Krzysztof"), W("Katarzyna"), WA("Michał", "michal"), W("Joanna"),
    W("Tomasz"), W("Zofia"), W("Wojciech"), W("Magdalena")};
static const word pl_last[] = {
    W("Nowak"), WA("Wójcik", "wojcik"), W("Kowalczyk"), W("Mazur"), W("Krawczyk"),
    WA("Zając", "zajac"), W("Dudek"), WA("Wróbel", "wrobel"), W("Pietrzak"), W("Sikora"),
    W("Baran"), W("Kaczmarek")};

static const word nordic_first[] = {
    WA("Søren", "soren"), WA("Åsa", "asa"), W("Lars"), W("Ingrid"), WA("Björn", "bjorn"),
    W("Sigrid"), W("Erik"), W("Astrid"), W("Magnus"), W("Freja"), WA("Jørgen", "jorgen"),
    WA("Linnéa", "linnea")};
static const word nordic_last[] = {
    WA("Jørgensen", "jorgensen"), W("Lindqvist"), W("Andersson"), W("Johansson"), W("Nielsen"),
    W("Hansen"), W("Larsen"), WA("Bergström", "bergstrom"), W("Olsen"), W("Karlsson"),
    WA("Ødegaard", "odegaard"), WA("Åberg", "aberg")};

static const word tr_first[] = {
    WA("Ayşe", "ayse"), W("Mehmet"), W("Emre"), W("Zeynep"), W("Elif"), W("Mustafa"),
    WA("Özge", "ozge"), W("Burak"), WA("Şule", "sule"), W("Can")};
static const word tr_last[] = {
    WA("Yılmaz", "yilmaz"), W("Kaya"), W("Demir"), WA("Şahin", "sahin"), WA("Çelik", "celik"),
    WA("Öztürk", "ozturk"), WA("Aydın", "aydin"), W("Arslan"), WA("Doğan", "dogan"),
    WA("Koç", "koc")};

static const word in_first[] = {
    W("Priya"), W("Arjun"), W("Ananya"), W("Rahul"), W("Aditi"), W("Vikram"), W("Neha"),
    W("Rohan"), W("Kavya"), W("Sanjay"), W("Deepa"), W("Aarav")};
static const word in_last[] = {
    W("Sharma"), W("Patel"), W("Gupta"), W("Singh"), W("Kumar"), W("Reddy"), W("Iyer"),
    W("Nair"), W("Mehta"), W("Joshi"), W("Rao"), W("Banerjee")};

static const word ar_first[] = {
    W("Omar"), W("Layla"), W("Youssef"), W("Fatima"), W("Karim"), W("Nour"), W("Hassan"),
    W("Amira"), W("Tariq"), W("Salma")};
static const word ar_last[] = {
    W("Haddad"), W("Nasser"), W("Khalil"), W("Mansour"), W("Saleh"), W("Farouk"),
    WA("Al-Sayed", "alsayed"), W("Aziz"), W("Hamdan"), WA("El-Amin", "elamin")};

static const word af_first[] = {
    W("Chinedu"), W("Amara"), W("Kwame"), W("Ngozi"), W("Tendai"), W("Thabo"), W("Zanele"),
    W("Kofi"), W("Adaeze"), W("Sipho")};
static const word af_last[] = {
    W("Okafor"), W("Mensah"), W("Adeyemi"), W("Nkosi"), W("Mokoena"), W("Okonkwo"),
    W("Boateng"), W("Dlamini"), W("Mwangi"), W("Osei")};

/* Whole names, as they are written; ascii is "given.family". */
static const word el_full[] = {
    WA("Ελένη Παπαδοπούλου", "eleni.papadopoulou"), WA("Γιώργος Παπαδόπουλος", "giorgos.papadopoulos"),
    WA("Μαρία Οικονόμου", "maria.oikonomou"), WA("Νίκος Γεωργίου", "nikos.georgiou"),
    WA("Κατερίνα Δημητρίου", "katerina.dimitriou"),
    WA("Δημήτρης Κωνσταντίνου", "dimitris.konstantinou"), WA("Σοφία Νικολάου", "sofia.nikolaou"),
    WA("Ιωάννης Αλεξίου", "ioannis.alexiou")};
static const word ru_full[] = {
    WA("Дмитрий Иванов", "dmitry.ivanov"), WA("Анна Смирнова", "anna.smirnova"),
    WA("Сергей Кузнецов", "sergey.kuznetsov"), WA("Ольга Попова", "olga.popova"),
    WA("Алексей Соколов", "alexey.sokolov"), WA("Наталья Волкова", "natalya.volkova"),
    WA("Иван Петров", "ivan.petrov"), WA("Екатерина Морозова", "ekaterina.morozova"),
    WA("Андрей Лебедев", "andrey.lebedev"), WA("Татьяна Новикова", "tatyana.novikova")};
static const word zh_full[] = {
    WA("陈伟", "wei.chen"), WA("王芳", "fang.wang"), WA("李娜", "na.li"), WA("张伟", "wei.zhang"),
    WA("刘洋", "yang.liu"), WA("杨静", "jing.yang"), WA("赵磊", "lei.zhao"), WA("黄敏", "min.huang"),
    WA("周杰", "jie.zhou"), WA("吴婷", "ting.wu"), WA("徐明", "ming.xu"), WA("孙丽", "li.sun")};
static const word ja_full[] = {
    WA("佐藤健", "ken.sato"), WA("鈴木花子", "hanako.suzuki"), WA("高橋誠", "makoto.takahashi"),
    WA("田中美咲", "misaki.tanaka"), WA("渡辺翔太", "shota.watanabe"), WA("伊藤優子", "yuko.ito")};
static const word vi_full[] = {
    WA("Nguyễn Văn An", "an.nguyen"), WA("Trần Thị Mai", "mai.tran"),
    WA("Lê Minh Tuấn", "tuan.le"), WA("Phạm Thu Hà", "ha.pham"),
    WA("Hoàng Đức Anh", "anh.hoang"), WA("Vũ Ngọc Lan", "lan.vu")};
static const word ko_full[] = {
    WA("김민준", "minjun.kim"), WA("이서연", "seoyeon.lee"), WA("박지훈", "jihoon.park"),
    WA("최수빈", "subin.choi"), WA("정예준", "yejun.jung")};

typedef struct culture {
    unsigned weight;     /* per thousand customers */
    const word *first;   /* given names, or whole names when last is NULL */
    unsigned nfirst;
    const word *last;
    unsigned nlast;
} culture;

#define NAMES(f, l) f, COUNT(f), l, COUNT(l)
#define FULL(f) f, COUNT(f), NULL, 0

static const culture cultures[] = {
    {560, NAMES(en_first, en_last)},
    {95, NAMES(es_first, es_last)},
    {45, NAMES(de_first, de_last)},
    {35, NAMES(fr_first, fr_last)},
    {30, NAMES(it_first, it_last)},
    {25, NAMES(pl_first, pl_last)},
    {20, NAMES(nordic_first, nordic_last)},
    {15, NAMES(tr_first, tr_last)},
    {40, NAMES(in_first, in_last)},
    {20, NAMES(ar_first, ar_last)},
    {20, NAMES(af_first, af_last)},
    {12, FULL(el_full)},
    {18, FULL(ru_full)},
    {35, FULL(zh_full)},
    {12, FULL(ja_full)},
    {10, FULL(vi_full)},
    {8, FULL(ko_full)}};

static const char *const nick[][2] = {
    {"William", "Bill"}, {"Robert", "Bob"},   {"James", "Jim"},      {"Elizabeth", "Liz"},
    {"Margaret", "Peggy"}, {"Katherine", "Kate"}, {"Richard", "Rick"}, {"Patricia", "Trish"}};

static const char *const domains[] = {"example.com", "example.net", "example.org",
                                      "mail.example.com", "inbox.example.net"};

/* Append the email form of w (lower-case letters and digits only). */
static char *put_ascii(char *p, const word *w)
{
    const char *s = w->ascii ? w->ascii : w->text;

    for (; *s; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.')
            *p++ = c;
    }
    return p;
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);

    memcpy(p, s, n);
    return p + n;
}

/* The start of a customers.csv line: id,name,email,signup_date (no newline). */
static char *put_customer(char *p, rng *r, uint64_t id, long signup_day, unsigned total)
{
    char name[256], local[160];
    char *n = name, *l = local;
    const culture *cu;
    unsigned u, i;

    u = rng_below(r, total);
    for (i = 0; u >= cultures[i].weight; i++)
        u -= cultures[i].weight;
    cu = &cultures[i];

    if (!cu->last) {
        const word *w = &cu->first[rng_below(r, cu->nfirst)];
        n = put_str(n, w->text);
        l = put_ascii(l, w);
    } else {
        unsigned fi = rng_below(r, cu->nfirst);
        const word *f = &cu->first[fi];
        const word *a = &cu->last[rng_below(r, cu->nlast)];
        const word *b = NULL;
        uint32_t v = rng_below(r, 1000);
        unsigned form = rng_below(r, 3);

        if (v < 20 && cu->first == en_first) {
            /* a nickname in quotes: exercises "" in CSV */
            for (i = 0; i < COUNT(nick); i++)
                if (strcmp(nick[i][0], f->text) == 0)
                    break;
            n = put_str(n, f->text);
            if (i < COUNT(nick)) {
                n = put_str(n, " \"");
                n = put_str(n, nick[i][1]);
                *n++ = '"';
            }
        } else {
            n = put_str(n, f->text);
            if (v >= 20 && v < 80) {
                /* a middle initial */
                *n++ = ' ';
                *n++ = (char)('A' + rng_below(r, 26));
                *n++ = '.';
            }
        }
        *n++ = ' ';
        n = put_str(n, a->text);
        if (v >= 80 && v < 100) {
            b = &cu->last[rng_below(r, cu->nlast)];
            if (b != a) {
                *n++ = '-';
                n = put_str(n, b->text);
            } else {
                b = NULL;
            }
        }
        if (cu->first == en_first && fi < EN_MALE && v >= 100 && v < 125)
            n = put_str(n, v < 118 ? ", Jr." : v < 123 ? ", Sr." : " III");

        if (form == 0) {
            l = put_ascii(l, f);
            *l++ = '.';
            l = put_ascii(l, a);
        } else if (form == 1) {
            l = put_ascii(l, f);
            l = put_ascii(l, a);
        } else {
            char given[64];
            *put_ascii(given, f) = '\0';
            *l++ = given[0];
            *l++ = '.';
            l = put_ascii(l, a);
        }
        if (b)
            l = put_ascii(l, b);
    }
    *n = '\0';
    l = put_u(l, id);
    *l = '\0';

    p = put_u(p, id);
    *p++ = ',';
    p = put_field(p, name);
    *p++ = ',';
    p = put_str(p, local);
    *p++ = '@';
    p = put_str(p, domains[rng_below(r, COUNT(domains))]);
    *p++ = ',';
    p = put_date(p, signup_day, 1);
    /* This draw once picked a world region; it stays so that the names and
       emails of later customers do not change. */
    (void)rng_below(r, 1000);
    return p;
}

/* ------------------------------------------------------------- behaviour */

enum { P_NEW, P_VIP, P_REGULAR, P_DECLINING, P_DORMANT };

/* Seasonality by calendar month (January first), in thousandths. */
static const uint16_t season_orders[12] = {920, 860, 950, 970, 1000, 960,
                                           930, 950, 1000, 1040, 1300, 1420};
static const uint16_t season_amount[12] = {960, 970, 990, 1000, 1000, 990,
                                           980, 1000, 1000, 1010, 1060, 1100};
static const uint16_t season_open[12] = {1000, 1000, 1010, 1000, 990, 960,
                                         940, 960, 1010, 1000, 930, 900};
static const uint16_t season_visits[12] = {960, 920, 980, 990, 1000, 970,
                                           950, 980, 1010, 1040, 1200, 1250};
/* Sign-ups per month, in thousandths of the customers so far. */
static const uint16_t season_signup[12] = {35, 31, 32, 32, 33, 31, 29, 31, 33, 34, 41, 39};
/* Promotional emails on top of the weekly (Tuesday) newsletter. */
static const uint8_t promo_emails[12] = {2, 1, 1, 1, 1, 1, 1, 1, 2, 1, 3, 3};

/* Email open rate and web visits (tenths) per month, by persona. */
static const uint16_t open_base[5] = {420, 460, 340, 200, 75};
static const uint16_t visit_base[5] = {90, 160, 60, 25, 6};

#define PRE_DAYS 1096 /* sign-ups before the window spread over three years */

typedef struct gen {
    const quire_sample_opts *o;
    long n;
    int months;
    long win0;   /* first day of the window, days since 1970-01-01 */
    long ndays;  /* days in the window */
    long mday[QUIRE_SAMPLE_MAX_MONTHS + 1];  /* first day of month m, from win0 */
    long signed_by[QUIRE_SAMPLE_MAX_MONTHS + 1]; /* customers signed up before mday[m] */
    unsigned cal[QUIRE_SAMPLE_MAX_MONTHS];     /* calendar month 0..11 */
    unsigned tuesdays[QUIRE_SAMPLE_MAX_MONTHS];
    char (*dates)[10];  /* YYYY-MM-DD for every day of the window */
    char mstr[QUIRE_SAMPLE_MAX_MONTHS][8];

    /* per customer, in id order (id = index + 1) */
    int32_t *signup;   /* day of sign-up, from win0 (negative before it) */
    int32_t *first;    /* day of the first order, from win0, or -1 */
    uint8_t *persona;
    uint8_t *subscribed;
    int16_t *settle;   /* month a NEW customer settles into a persona */
    uint16_t *rate;    /* orders per month, thousandths */
    uint16_t *decay;   /* a DECLINING customer's monthly rate factor, thousandths */
    uint16_t *openf;   /* open-rate factor, thousandths */
    uint16_t *visitf;  /* web-visit factor, thousandths */
    uint32_t *norders; /* orders this month */
    uint32_t *aov;     /* typical order value, cents */
    uint64_t *p;       /* chance of an order per day this month, 2^-32 units */

    /* profile (stream S_PROFILE), drawn after a first pass over the lifecycle */
    uint8_t *vipm;     /* months as VIP in the window (first pass) */
    uint8_t *badm;     /* months as DECLINING or DORMANT (first pass) */
    uint8_t *age;      /* AGE_* index, known even when not shown */
    uint8_t *sex;      /* gender index */
    uint8_t *region;
    uint8_t *income;
    uint8_t *chan;     /* preferred channel, CH_* */
    uint8_t *acq;      /* acquisition channel */
    uint8_t *miss;     /* MISS_* bits: fields left empty in customers.csv */
    uint8_t *app;      /* has the app installed */
    int16_t *mood;     /* satisfaction offset, thousandths of a point */
    uint16_t *cost;    /* acquisition cost, cents */
    uint64_t acq_month[QUIRE_SAMPLE_MAX_MONTHS]; /* cost of the month's sign-ups, cents */

    /* the stock segment rule's view, for spend.csv (second pass only) */
    int32_t *last;     /* day of the last order (sign-up day before one) */
    uint32_t *mrev;    /* revenue this month, cents */
    uint64_t *rev12;   /* revenue over the last 12 months, cents */
    uint32_t *ord12;   /* orders over the last 12 months */
    uint32_t *ring_rev; /* 12 months of revenue per customer; only for > 12 months */
    uint16_t *ring_ord;
    long count[QUIRE_SAMPLE_MAX_MONTHS][5];     /* customers by segment, per month */

    uint64_t scale;    /* order-rate multiplier, 2^-16 units */
    uint64_t keep;     /* share of first orders kept, 2^-32 units (2^32: all) */
    uint64_t firsts;   /* first orders inside the window */
    uint64_t expect;   /* expected other orders at scale 1, 2^-24 units */
    uint64_t order_id;
} gen;

static void become(gen *g, long c, int persona, rng *r)
{
    switch (persona) {
    case P_VIP:
        g->rate[c] = (uint16_t)rng_range(r, 2400, 4400);
        if (g->aov[c] < 25000)
            g->aov[c] = rng_range(r, 28000, 56000);
        break;
    case P_REGULAR:
        g->rate[c] = (uint16_t)rng_range(r, 550, 1450);
        if (g->aov[c] < 5000 || g->aov[c] > 16000)
            g->aov[c] = rng_range(r, 6000, 15000);
        break;
    case P_DECLINING: {
        uint32_t rt = g->rate[c] * rng_range(r, 450, 800) / 1000;
        g->rate[c] = (uint16_t)(rt < 120 ? 120 : rt);
        g->decay[c] = (uint16_t)rng_range(r, 550, 820);
        break;
    }
    case P_DORMANT:
        g->rate[c] = (uint16_t)(rng_chance(r, 400) ? 0 : rng_range(r, 10, 60));
        break;
    default:
        break;
    }
    g->persona[c] = (uint8_t)persona;
}

/* Calendar month of a day counted from win0, relative to the first month. */
static long rel_month(const gen *g, long day)
{
    int64_t y;
    int m, d;

    quire_civil_from_days(g->win0 + day, &y, &m, &d);
    return (long)y * 12 + m - 1 - g->o->first_month;
}

/* Every customer's persona at the start of the window (stream S_INIT). */
static void init_state(gen *g)
{
    rng r;
    long c;

    rng_init(&r, g->o->seed, S_INIT);
    g->firsts = 0;
    for (c = 0; c < g->n; c++) {
        long sd = g->signup[c];
        long sm = rel_month(g, sd);

        g->openf[c] = (uint16_t)rng_range(&r, 700, 1300);
        g->visitf[c] = (uint16_t)rng_range(&r, 600, 1400);
        g->subscribed[c] = !rng_chance(&r, 30);
        g->first[c] = -1;
        g->aov[c] = 0;
        g->decay[c] = 1000;
        g->settle[c] = 0;
        if (sm >= -1) {
            g->persona[c] = P_NEW;
            g->settle[c] = (int16_t)(sm + 2);
            g->rate[c] = (uint16_t)rng_range(&r, 250, 550);
            g->aov[c] = rng_range(&r, 4500, 12000);
            if (sd >= 0 && rng_chance(&r, 900)) {
                long k = rng_chance(&r, 550) ? 0 : (long)rng_range(&r, 1, 6);
                if (sd + k < g->ndays) {
                    g->first[c] = (int32_t)(sd + k);
                    g->firsts++;
                }
            }
        } else {
            uint32_t age = (uint32_t)(-sd > PRE_DAYS ? PRE_DAYS : -sd) * 1000 / PRE_DAYS;
            uint32_t vip = 90 + 40 * age / 1000, decl = 140, dorm = 130 + 130 * age / 1000;
            uint32_t u = rng_below(&r, 1000);

            if (u < vip) {
                become(g, c, P_VIP, &r);
            } else {
                become(g, c, P_REGULAR, &r);
                if (u < vip + decl) {
                    become(g, c, P_DECLINING, &r);
                    g->rate[c] = (uint16_t)rng_range(&r, 80, 700);
                } else if (u < vip + decl + dorm) {
                    become(g, c, P_DORMANT, &r);
                }
            }
        }
    }
}

/* One month of lifecycle for a customer signed up before month m. */
static void step(gen *g, long c, int m, rng *r)
{
    int holiday = g->cal[m] >= 10;
    uint32_t u = rng_below(r, 1000);

    switch (g->persona[c]) {
    case P_NEW:
        if (m >= g->settle[c])
            become(g, c, u < 70 ? P_VIP : u < 570 ? P_REGULAR : u < 800 ? P_DECLINING : P_DORMANT,
                   r);
        break;
    case P_VIP:
        if (u < 12)
            become(g, c, P_REGULAR, r);
        else if (u < 24)
            become(g, c, P_DECLINING, r);
        break;
    case P_REGULAR: {
        uint32_t up = holiday ? 14 : 9;
        if (u < up)
            become(g, c, P_VIP, r);
        else if (u < up + 32)
            become(g, c, P_DECLINING, r);
        else if (u < up + 36)
            become(g, c, P_DORMANT, r);
        break;
    }
    case P_DECLINING:
        if (u < 60) {
            become(g, c, P_REGULAR, r);
        } else {
            g->rate[c] = (uint16_t)(g->rate[c] * g->decay[c] / 1000);
            if (u < 70)
                g->subscribed[c] = 0;
            if (g->rate[c] < 60)
                become(g, c, P_DORMANT, r);
        }
        break;
    case P_DORMANT:
        if (u < (holiday ? 50u : 25u))
            become(g, c, P_REGULAR, r);
        break;
    default:
        break;
    }
}

/* This month's chance of an order per day for customer c, 2^-32 units. */
static inline uint64_t day_chance(const gen *g, long c, int m, uint64_t scale)
{
    uint64_t lam = (uint64_t)g->rate[c] * season_orders[g->cal[m]] * scale / 1000000;

    return (lam << 16) / (uint64_t)(g->mday[m + 1] - g->mday[m]);
}

/* --------------------------------------------------------------- profile */

static const char *const age_names[6] = {"18-24", "25-34", "35-44", "45-54", "55-64", "65+"};
static const char *const sex_names[3] = {"female", "male", "non-binary"};
static const char *const region_names[4] = {"North", "South", "East", "West"};
static const char *const income_names[4] = {"under 25k", "25-50k", "50-100k", "100k+"};
enum { CH_EMAIL, CH_PHONE, CH_SMS, CH_SOCIAL, CH_APP };
static const char *const chan_names[5] = {"email", "phone", "sms", "social", "app"};
enum { AQ_SEARCH, AQ_SOCIAL, AQ_REFERRAL, AQ_EMAIL, AQ_DISPLAY };
static const char *const acq_names[5] = {"search", "social", "referral", "email", "display"};
enum { MISS_AGE = 1, MISS_SEX = 2, MISS_INCOME = 4, MISS_CHAN = 8 };

/* How a customer fares over the window: LEAN_VIP spent a third of it or more
   as VIP, LEAN_CHURN half of it or more declining or dormant. */
enum { LEAN_MID, LEAN_VIP, LEAN_CHURN };

/* Weights per thousand (they need not add up to 1000; draws are scaled). */
static const int16_t age_w[6] = {120, 220, 205, 180, 150, 125};
static const int16_t age_lean[3][6] = {
    {0, 0, 0, 0, 0, 0}, {-40, -40, 0, 20, 30, 30}, {20, 10, 0, -10, -10, -10}};
static const int16_t age_recent[6] = {40, 30, 0, -20, -25, -25}; /* signed up in the window */
static const int16_t sex_w[3] = {510, 465, 25};
static const int16_t region_w[4] = {270, 260, 240, 230};
static const int16_t income_w[6][4] = {
    {450, 350, 170, 30}, {220, 360, 320, 100}, {150, 300, 380, 170},
    {140, 280, 380, 200}, {170, 300, 350, 180}, {250, 350, 300, 100}};
static const int16_t income_lean[3][4] = {{0, 0, 0, 0}, {-60, -40, 30, 70}, {40, 20, -30, -30}};
static const int16_t chan_w[6][5] = {
    {150, 30, 150, 270, 400}, {250, 50, 150, 200, 350}, {350, 80, 160, 150, 260},
    {450, 130, 150, 110, 160}, {520, 200, 120, 70, 90}, {520, 300, 100, 40, 40}};
static const int16_t acq_w[5] = {300, 220, 150, 130, 200};
static const int16_t acq_young[5] = {-40, 100, 0, -30, -30}; /* under 35 */
static const int16_t acq_old[5] = {40, -100, 0, 60, 0};     /* 55 and over */
static const int16_t acq_lean[3][5] = {{0, 0, 0, 0, 0}, {0, -50, 100, 0, -50}, {0, 0, -60, 0, 60}};
/* Acquisition cost in cents, by acquisition channel. */
static const uint16_t acq_lo[5] = {4000, 2500, 1000, 1500, 5500};
static const uint16_t acq_hi[5] = {11000, 7500, 2800, 4000, 13000};
static const uint16_t acq_factor[3] = {1000, 1150, 900};
/* Per thousand customers: an incomplete demographic profile; no channel. */
static const uint16_t incomplete[3] = {150, 110, 190};
static const uint16_t no_channel[3] = {110, 60, 110};
/* Has the app (unless it is the preferred channel), by age band. */
static const uint16_t app_installed[6] = {650, 600, 500, 380, 250, 120};

static unsigned pick(rng *r, const int16_t *w, unsigned n)
{
    unsigned total = 0, i;
    uint32_t u;

    for (i = 0; i < n; i++)
        total += (unsigned)w[i];
    u = rng_below(r, total);
    for (i = 0; i + 1 < n && u >= (unsigned)w[i]; i++)
        u -= (unsigned)w[i];
    return i;
}

/* Every customer's profile, from the first pass's months as VIP and as
   declining or dormant (stream S_PROFILE). */
static void make_profiles(gen *g)
{
    rng r;
    long c;
    int m;

    rng_init(&r, g->o->seed, S_PROFILE);
    memset(g->acq_month, 0, sizeof g->acq_month);
    for (c = 0; c < g->n; c++) {
        long sm = g->signup[c] < 0 ? 0 : rel_month(g, g->signup[c]);
        unsigned span = (unsigned)(g->months - sm), lean = LEAN_MID, a, i;
        int16_t w[6];
        uint32_t u;

        if (span && g->vipm[c] * 3u >= span)
            lean = LEAN_VIP;
        else if (span && g->badm[c] * 2u >= span)
            lean = LEAN_CHURN;

        for (i = 0; i < 6; i++)
            w[i] = (int16_t)(age_w[i] + age_lean[lean][i] + (g->signup[c] >= 0 ? age_recent[i] : 0));
        a = g->age[c] = (uint8_t)pick(&r, w, 6);
        g->sex[c] = (uint8_t)pick(&r, sex_w, 3);
        g->region[c] = (uint8_t)pick(&r, region_w, 4);
        for (i = 0; i < 4; i++)
            w[i] = (int16_t)(income_w[a][i] + income_lean[lean][i]);
        g->income[c] = (uint8_t)pick(&r, w, 4);
        g->chan[c] = (uint8_t)pick(&r, chan_w[a], 5);
        for (i = 0; i < 5; i++)
            w[i] = (int16_t)(acq_w[i] + acq_lean[lean][i] +
                             (a < 2 ? acq_young[i] : a >= 4 ? acq_old[i] : 0));
        g->acq[c] = (uint8_t)pick(&r, w, 5);
        g->cost[c] = (uint16_t)(rng_range(&r, acq_lo[g->acq[c]], acq_hi[g->acq[c]]) *
                                acq_factor[lean] / 1000);
        g->app[c] = g->chan[c] == CH_APP || rng_chance(&r, app_installed[a]);
        g->mood[c] = (int16_t)((int32_t)rng_below(&r, 801) - 400);

        g->miss[c] = 0;
        if (rng_below(&r, 1000) < incomplete[lean]) {
            u = rng_below(&r, 1000);
            g->miss[c] = u < 450   ? MISS_INCOME
                         : u < 600 ? MISS_SEX
                         : u < 700 ? MISS_AGE
                         : u < 850 ? MISS_AGE | MISS_INCOME
                                   : MISS_AGE | MISS_SEX | MISS_INCOME;
        }
        if (rng_below(&r, 1000) < no_channel[lean])
            g->miss[c] |= MISS_CHAN;

        m = (int)sm;
        if (g->signup[c] >= 0 && m < g->months)
            g->acq_month[m] += g->cost[c];
    }
}

static char *put_choice(char *p, const char *const *names, unsigned i, int missing)
{
    *p++ = ',';
    return missing ? p : put_str(p, names[i]);
}

/* The rest of a customers.csv line, from the comma after signup_date. */
static char *put_profile(char *p, const gen *g, long c)
{
    unsigned miss = g->miss[c];

    p = put_choice(p, age_names, g->age[c], miss & MISS_AGE);
    p = put_choice(p, sex_names, g->sex[c], miss & MISS_SEX);
    p = put_choice(p, region_names, g->region[c], 0);
    p = put_choice(p, income_names, g->income[c], miss & MISS_INCOME);
    p = put_choice(p, chan_names, g->chan[c], miss & MISS_CHAN);
    p = put_choice(p, acq_names, g->acq[c], 0);
    *p++ = ',';
    p = put_cents(p, g->cost[c]);
    *p++ = '\n';
    return p;
}

/* ------------------------------------------------------------- feedback */

/* Clicks per thousand opened emails; app sessions per month (tenths). */
static const uint16_t click_base[5] = {200, 260, 160, 90, 60};
static const uint16_t app_base[5] = {40, 70, 30, 12, 3};
static const uint16_t app_age[6] = {1300, 1200, 1000, 850, 650, 450};

/* Survey and brand-survey answers per thousand customers a month. */
static const uint16_t survey_rate[5] = {130, 140, 110, 90, 60};
static const uint16_t brand_rate[5] = {40, 50, 40, 35, 30};
/* Mean answers in thousandths of a point, by persona. */
static const int16_t csat_mean[5] = {4100, 4450, 4000, 3100, 2900};
static const int16_t nps_mean[5] = {7800, 8700, 7400, 5000, 4500};
static const int16_t aware_mean[5] = {3300, 4400, 3900, 3600, 3000};
static const int16_t quality_mean[5] = {3700, 4300, 3800, 3000, 3000};
static const int16_t loyal_mean[5] = {3000, 4500, 3700, 2500, 2000};
/* First response to a ticket, tenths of an hour, by preferred channel
   (email, phone, sms, social, app; then unknown). */
static const uint16_t response_base[6] = {180, 15, 45, 60, 40, 100};

/* An answer on the scale lo..hi around mean (thousandths of a point), with a
   triangular spread of +-width. */
static int score(rng *r, int32_t mean, uint32_t width, int lo, int hi)
{
    int32_t x = mean + (int32_t)rng_below(r, width + 1) + (int32_t)rng_below(r, width + 1) -
                (int32_t)width;
    int32_t v = x < 0 ? 0 : (x + 500) / 1000;

    return v < lo ? lo : v > hi ? hi : (int)v;
}

/* ------------------------------------------------------------ generation */

static int write_customers(gen *g, out_file *f, quire_error *err)
{
    unsigned total = 0, i;
    rng r;
    long c;

    for (i = 0; i < COUNT(cultures); i++)
        total += cultures[i].weight;
    rng_init(&r, g->o->seed, S_NAMES);
    if (out_put(f,
                "customer_id,name,email,signup_date,age_band,gender,region,income_band,"
                "preferred_channel,acquisition_channel,acquisition_cost\n",
                err))
        return -1;
    for (c = 0; c < g->n; c++) {
        char *p = out_room(f, err);
        if (!p)
            return -1;
        p = put_customer(p, &r, (uint64_t)c + 1, g->win0 + g->signup[c], total);
        out_done(f, put_profile(p, g, c));
    }
    return 0;
}

static inline char *put_order(gen *g, char *p, long c, long d, uint32_t amount_scale, rng *r)
{
    uint64_t cents = (uint64_t)g->aov[c] * rng_spread(r) / 1000 * amount_scale / 1000;

    if (cents < 300)
        cents = 300 + cents % 100;
    g->mrev[c] = cents > UINT32_MAX - g->mrev[c] ? UINT32_MAX : g->mrev[c] + (uint32_t)cents;
    g->last[c] = (int32_t)d;
    p = put_u(p, ++g->order_id);
    *p++ = ',';
    p = put_u(p, (uint64_t)c + 1);
    *p++ = ',';
    memcpy(p, g->dates[d], 10);
    p += 10;
    *p++ = ',';
    p = put_cents(p, cents);
    *p++ = '\n';
    return p;
}

static int write_month_orders(gen *g, int m, rng *r, out_file *f, quire_error *err)
{
    long d, c, na = g->signed_by[m];
    uint32_t amount = season_amount[g->cal[m]];

    for (d = g->mday[m]; d < g->mday[m + 1]; d++) {
        while (na < g->n && g->signup[na] <= d)
            na++;
        for (c = 0; c < na; c++) {
            uint64_t pc = g->p[c];
            unsigned k = (unsigned)(pc >> 32);

            if ((uint32_t)(rng_next(r) >> 32) < (uint32_t)pc)
                k++;
            if (g->first[c] == d &&
                (g->keep >> 32 || (uint32_t)(rng_next(r) >> 32) < (uint32_t)g->keep)) {
                /* the first basket is a little smaller than later ones */
                char *p = out_room(f, err);
                if (!p)
                    return -1;
                out_done(f, put_order(g, p, c, d, amount * 85 / 100, r));
                g->norders[c]++;
            }
            while (k--) {
                char *p = out_room(f, err);
                if (!p)
                    return -1;
                out_done(f, put_order(g, p, c, d, amount, r));
                g->norders[c]++;
            }
        }
    }
    return 0;
}

static unsigned count_tuesdays(const gen *g, long from, long to)
{
    unsigned n = 0;
    long d;

    for (d = from; d < to; d++)
        n += weekday(g->win0 + d) == 2;
    return n;
}

/* r draws the original columns, r2 (S_CLICKS) the clicks and app sessions. */
static int write_month_engagement(gen *g, int m, rng *r, rng *r2, out_file *f, quire_error *err)
{
    long c, d0 = g->mday[m], d1 = g->mday[m + 1], nd = d1 - d0;
    unsigned cal = g->cal[m];

    for (c = 0; c < g->signed_by[m + 1]; c++) {
        int ps = g->persona[c];
        long active = g->signup[c] > d0 ? d1 - g->signup[c] : nd;
        unsigned sent = 0, opened = 0, clicked = 0, i;
        uint32_t open, visits, sessions = 0;
        uint64_t vm;
        char *p;

        if (!g->subscribed[c])
            sent = 0;
        else if (g->signup[c] >= d0)
            sent = count_tuesdays(g, g->signup[c], d1) + 3; /* welcome series */
        else if (ps == P_DORMANT)
            sent = g->tuesdays[m] + 1; /* win-back */
        else
            sent = g->tuesdays[m] + promo_emails[cal] + (ps == P_VIP ? 2 : 0);

        open = ps == P_DECLINING ? 150 + (g->rate[c] > 1000 ? 1000u : g->rate[c]) / 10
                                 : open_base[ps];
        open = open * g->openf[c] / 1000 * season_open[cal] / 1000;
        if (open > 950)
            open = 950;
        for (i = 0; i < sent; i++)
            opened += rng_chance(r, open);

        /* tenths of a visit, then thousandths with a skewed spread */
        vm = ((uint64_t)visit_base[ps] * g->visitf[c] / 1000 + 15u * g->norders[c]) *
             season_visits[cal] / 1000 * (uint64_t)active / (uint64_t)nd;
        vm = vm * 100 * rng_spread(r) / 1000;
        visits = (uint32_t)(vm / 1000) + (rng_below(r, 1000) < vm % 1000);

        for (i = 0; i < opened; i++)
            clicked += rng_chance(r2, click_base[ps]);
        if (g->app[c]) {
            /* tenths of a session, as for visits */
            vm = ((uint64_t)app_base[ps] * app_age[g->age[c]] / 1000 *
                      (g->chan[c] == CH_APP ? 3u : 1u) +
                  12u * g->norders[c]) *
                 (uint64_t)active / (uint64_t)nd;
            vm = vm * 100 * rng_spread(r2) / 1000;
            sessions = (uint32_t)(vm / 1000) + (rng_below(r2, 1000) < vm % 1000);
        }

        p = out_room(f, err);
        if (!p)
            return -1;
        p = put_u(p, (uint64_t)c + 1);
        *p++ = ',';
        memcpy(p, g->mstr[m], 7);
        p += 7;
        *p++ = ',';
        p = put_u(p, sent);
        *p++ = ',';
        p = put_u(p, opened);
        *p++ = ',';
        p = put_u(p, clicked);
        *p++ = ',';
        p = put_u(p, visits);
        *p++ = ',';
        p = put_u(p, sessions);
        *p++ = '\n';
        out_done(f, p);
    }
    return 0;
}

static char *put_row_start(char *p, const gen *g, long c, long day)
{
    p = put_u(p, (uint64_t)c + 1);
    *p++ = ',';
    memcpy(p, g->dates[day], 10);
    p += 10;
    *p++ = ',';
    return p;
}

/*
 * The stock rule (scripts/segments/default.lua) at the end of month m, with
 * its default thresholds, over the orders written so far; the index into
 * spend_segments[]. Rolls the month's orders into the 12-month sums.
 */
enum { SEG_VIP, SEG_REGULAR, SEG_AT_RISK, SEG_INACTIVE, SEG_NEW };

static int segment_of(gen *g, long c, int m)
{
    uint32_t n = g->norders[c] > 65535 ? 65535 : g->norders[c];
    long sm = rel_month(g, g->signup[c]), recency = g->mday[m + 1] - 1 - g->last[c];

    if (g->ring_rev) {
        size_t k = (size_t)c * 12 + (size_t)(m % 12);
        if (m >= 12) {
            g->rev12[c] -= g->ring_rev[k];
            g->ord12[c] -= g->ring_ord[k];
        }
        g->ring_rev[k] = g->mrev[c];
        g->ring_ord[k] = (uint16_t)n;
    }
    g->rev12[c] += g->mrev[c];
    g->ord12[c] += n;

    if (m - sm < 2)
        return SEG_NEW;
    if (recency > 120)
        return SEG_INACTIVE;
    if (recency > 60)
        return SEG_AT_RISK;
    return g->rev12[c] >= 200000 || g->ord12[c] >= 12 ? SEG_VIP : SEG_REGULAR;
}

typedef struct feedback_out {
    out_file *surveys, *brand, *tickets;
    rng survey, brandr, ticket;
} feedback_out;

/*
 * Surveys, brand surveys and support tickets of month m, each in its own
 * stream; the month's orders must have been drawn. Also counts the personas.
 */
static int write_month_feedback(gen *g, int m, feedback_out *fo, quire_error *err)
{
    long c, d0 = g->mday[m], d1 = g->mday[m + 1];

    for (c = 0; c < g->signed_by[m + 1]; c++) {
        int ps = g->persona[c];
        long from = g->signup[c] > d0 ? g->signup[c] : d0;
        uint32_t days = (uint32_t)(d1 - from), rate;
        int32_t mood = g->mood[c];
        char *p;

        g->count[m][segment_of(g, c, m)]++;

        rate = survey_rate[ps];
        if (!g->subscribed[c])
            rate /= 3;
        if (rng_chance(&fo->survey, rate)) {
            long day = from + (long)rng_below(&fo->survey, days);
            uint32_t u = rng_below(&fo->survey, 1000);
            int csat = score(&fo->survey, csat_mean[ps] + mood, 1500, 1, 5);
            int nps = score(&fo->survey, nps_mean[ps] + mood * 5 / 2, 3400, 0, 10);

            if (!(p = out_room(fo->surveys, err)))
                return -1;
            p = put_row_start(p, g, c, day);
            if (u < 850) /* 70 % answer both, 15 % only one or the other */
                p = put_u(p, (uint64_t)csat);
            *p++ = ',';
            if (u < 700 || u >= 850)
                p = put_u(p, (uint64_t)nps);
            *p++ = '\n';
            out_done(fo->surveys, p);
        }

        if (rng_chance(&fo->brandr, brand_rate[ps])) {
            long day = from + (long)rng_below(&fo->brandr, days);

            if (!(p = out_room(fo->brand, err)))
                return -1;
            p = put_row_start(p, g, c, day);
            p = put_u(p, (uint64_t)score(&fo->brandr, aware_mean[ps] + mood / 2, 1400, 1, 5));
            *p++ = ',';
            p = put_u(p, (uint64_t)score(&fo->brandr, quality_mean[ps] + mood / 2, 1400, 1, 5));
            *p++ = ',';
            p = put_u(p, (uint64_t)score(&fo->brandr, loyal_mean[ps] + mood / 2, 1400, 1, 5));
            *p++ = '\n';
            out_done(fo->brand, p);
        }

        /* tickets follow orders; declining and new customers have more trouble */
        rate = 12 + (g->norders[c] > 9 ? 225 : 25 * g->norders[c]) +
               (ps == P_DECLINING ? 25 : ps == P_NEW ? 15 : 0);
        if (rng_chance(&fo->ticket, rate)) {
            long day = from + (long)rng_below(&fo->ticket, days);
            unsigned ch = g->miss[c] & MISS_CHAN ? 5 : g->chan[c];
            uint32_t t = response_base[ch] * rng_spread(&fo->ticket) / 1000;
            int wd = weekday(g->win0 + day);

            if (ps == P_VIP)
                t = t * 7 / 10;
            if (wd == 0 || wd == 6)
                t = t * 3 / 2;
            t = t < 5 ? 5 : t > 720 ? 720 : t;

            if (!(p = out_room(fo->tickets, err)))
                return -1;
            p = put_row_start(p, g, c, day);
            p = put_u(p, t / 10);
            *p++ = '.';
            *p++ = (char)('0' + t % 10);
            *p++ = ',';
            if (!rng_chance(&fo->ticket, 400)) {
                int32_t mean = csat_mean[ps] + 300 - (int32_t)(t * 3 > 1800 ? 1800 : t * 3) + mood;
                p = put_u(p, (uint64_t)score(&fo->ticket, mean, 1500, 1, 5));
            }
            *p++ = '\n';
            out_done(fo->tickets, p);
        }
    }
    return 0;
}

/* Spend per segment and month, per head and month in cents, by SEG_*. */
static const char *const spend_segments[5] = {"VIP", "Regular", "At Risk", "Inactive", "New"};
static const uint16_t marketing_head[5] = {150, 60, 90, 25, 200};
static const uint16_t retention_head[5] = {450, 80, 350, 40, 50};

static int write_spend(gen *g, out_file *f, quire_error *err)
{
    rng r;
    int m, s;

    rng_init(&r, g->o->seed, S_SPEND);
    if (out_put(f, "month,segment,marketing,retention\n", err))
        return -1;
    for (m = 0; m < g->months; m++) {
        for (s = 0; s < 5; s++) {
            uint64_t mk = (uint64_t)g->count[m][s] * marketing_head[s];
            uint64_t rt = (uint64_t)g->count[m][s] * retention_head[s];
            char *p;

            if (s == SEG_NEW)
                mk += g->acq_month[m]; /* what winning this month's sign-ups cost */
            if (g->cal[m] >= 10)
                mk = mk * 13 / 10; /* the holiday campaigns */
            mk = mk * rng_range(&r, 920, 1080) / 1000;
            rt = rt * rng_range(&r, 920, 1080) / 1000;

            if (!(p = out_room(f, err)))
                return -1;
            memcpy(p, g->dates[g->mday[m]], 10);
            p += 10;
            *p++ = ',';
            p = put_str(p, spend_segments[s]);
            *p++ = ',';
            p = put_cents(p, mk);
            *p++ = ',';
            p = put_cents(p, rt);
            *p++ = '\n';
            out_done(f, p);
        }
    }
    return 0;
}

/* The output files, in the order of file_names[]. */
enum { F_CUSTOMERS, F_ORDERS, F_ENGAGE, F_SURVEYS, F_BRAND, F_TICKETS, F_SPEND, NFILES };
static const char *const file_names[NFILES] = {
    "customers.csv", "orders.csv", "engagement.csv", "surveys.csv",
    "brand.csv", "tickets.csv", "spend.csv"};

/*
 * Walk the window. Without files (the first pass), only sum the expected
 * number of orders (at scale 1) so the scale for a requested total can be
 * computed, and count each customer's months as VIP and as declining or
 * dormant for the profiles; with files, write orders, engagement, surveys,
 * brand surveys and tickets. Both walks see the same personas.
 */
static int simulate(gen *g, out_file *files, quire_error *err)
{
    rng life, ord, eng, clk;
    feedback_out fo;
    int m;

    init_state(g);
    rng_init(&life, g->o->seed, S_LIFE);
    rng_init(&ord, g->o->seed, S_ORDERS);
    rng_init(&eng, g->o->seed, S_ENGAGE);
    rng_init(&clk, g->o->seed, S_CLICKS);
    rng_init(&fo.survey, g->o->seed, S_SURVEY);
    rng_init(&fo.brandr, g->o->seed, S_BRAND);
    rng_init(&fo.ticket, g->o->seed, S_TICKET);
    if (files) {
        long c;
        fo.surveys = &files[F_SURVEYS];
        fo.brand = &files[F_BRAND];
        fo.tickets = &files[F_TICKETS];
        for (c = 0; c < g->n; c++) {
            g->last[c] = g->signup[c];
            g->rev12[c] = 0;
            g->ord12[c] = 0;
        }
    } else {
        memset(g->vipm, 0, (size_t)g->n);
        memset(g->badm, 0, (size_t)g->n);
    }
    memset(g->count, 0, sizeof g->count);
    g->expect = 0;
    g->order_id = 0;
    for (m = 0; m < g->months; m++) {
        long c, nm = g->signed_by[m + 1];

        if (m > 0)
            for (c = 0; c < g->signed_by[m]; c++)
                step(g, c, m, &life);
        if (!files) {
            for (c = 0; c < nm; c++) {
                long from = g->signup[c] > g->mday[m] ? g->signup[c] : g->mday[m];
                g->expect += (day_chance(g, c, m, 65536) * (uint64_t)(g->mday[m + 1] - from)) >> 8;
                g->vipm[c] += g->persona[c] == P_VIP;
                g->badm[c] += g->persona[c] == P_DECLINING || g->persona[c] == P_DORMANT;
            }
            continue;
        }
        for (c = 0; c < nm; c++) {
            g->p[c] = day_chance(g, c, m, g->scale);
            g->norders[c] = 0;
            g->mrev[c] = 0;
        }
        if (write_month_orders(g, m, &ord, &files[F_ORDERS], err) ||
            write_month_engagement(g, m, &eng, &clk, &files[F_ENGAGE], err) ||
            write_month_feedback(g, m, &fo, err))
            return -1;
    }
    return 0;
}

/* Sign-up days, sorted, so ids follow sign-up order (stream S_SIGNUP). */
static int make_signups(gen *g)
{
    uint64_t f[QUIRE_SAMPLE_MAX_MONTHS + 1];
    long cum[QUIRE_SAMPLE_MAX_MONTHS + 1];
    long span = PRE_DAYS + g->ndays, c = 0, i;
    long *count;
    rng r;
    int m;

    /* the base grows by season_signup[] each month; pre-window share first */
    f[0] = 1u << 20;
    for (m = 0; m < g->months; m++)
        f[m + 1] = f[m] * (1000u + season_signup[g->cal[m]]) / 1000u;
    for (m = 0; m <= g->months; m++)
        cum[m] = (long)(((uint64_t)g->n * f[m] + f[g->months] / 2) / f[g->months]);

    rng_init(&r, g->o->seed, S_SIGNUP);
    for (i = 0; i < cum[0]; i++) {
        /* two thirds uniform, one third leaning towards recent years */
        uint32_t a = rng_below(&r, PRE_DAYS), b = rng_below(&r, PRE_DAYS);
        if (rng_below(&r, 3) == 0 && b > a)
            a = b;
        g->signup[c++] = (int32_t)((long)a - PRE_DAYS);
    }
    for (m = 0; m < g->months; m++) {
        long nd = g->mday[m + 1] - g->mday[m];
        for (i = cum[m]; i < cum[m + 1]; i++)
            g->signup[c++] = (int32_t)(g->mday[m] + (long)rng_below(&r, (uint32_t)nd));
    }

    /* counting sort by day */
    count = calloc((size_t)span + 1, sizeof *count);
    if (!count)
        return -1;
    for (c = 0; c < g->n; c++)
        count[g->signup[c] + PRE_DAYS + 1]++;
    for (i = 0; i < span; i++)
        count[i + 1] += count[i];
    c = 0;
    for (i = 0; i < span; i++)
        while (c < count[i + 1])
            g->signup[c++] = (int32_t)(i - PRE_DAYS);
    free(count);

    for (m = 0, c = 0; m <= g->months; m++) {
        while (c < g->n && g->signup[c] < g->mday[m])
            c++;
        g->signed_by[m] = c;
    }
    return 0;
}

static void gen_free(gen *g)
{
    free(g->dates);
    free(g->signup);
    free(g->first);
    free(g->persona);
    free(g->subscribed);
    free(g->settle);
    free(g->rate);
    free(g->decay);
    free(g->openf);
    free(g->visitf);
    free(g->norders);
    free(g->aov);
    free(g->p);
    free(g->vipm);
    free(g->badm);
    free(g->age);
    free(g->sex);
    free(g->region);
    free(g->income);
    free(g->chan);
    free(g->acq);
    free(g->miss);
    free(g->app);
    free(g->mood);
    free(g->cost);
    free(g->last);
    free(g->mrev);
    free(g->rev12);
    free(g->ord12);
    free(g->ring_rev);
    free(g->ring_ord);
}

static int gen_alloc(gen *g)
{
    size_t n = (size_t)g->n;

    g->dates = malloc((size_t)g->ndays * sizeof *g->dates);
    g->signup = malloc(n * sizeof *g->signup);
    g->first = malloc(n * sizeof *g->first);
    g->persona = malloc(n);
    g->subscribed = malloc(n);
    g->settle = malloc(n * sizeof *g->settle);
    g->rate = malloc(n * sizeof *g->rate);
    g->decay = malloc(n * sizeof *g->decay);
    g->openf = malloc(n * sizeof *g->openf);
    g->visitf = malloc(n * sizeof *g->visitf);
    g->norders = malloc(n * sizeof *g->norders);
    g->aov = malloc(n * sizeof *g->aov);
    g->p = malloc(n * sizeof *g->p);
    g->vipm = malloc(n);
    g->badm = malloc(n);
    g->age = malloc(n);
    g->sex = malloc(n);
    g->region = malloc(n);
    g->income = malloc(n);
    g->chan = malloc(n);
    g->acq = malloc(n);
    g->miss = malloc(n);
    g->app = malloc(n);
    g->mood = malloc(n * sizeof *g->mood);
    g->cost = malloc(n * sizeof *g->cost);
    g->last = malloc(n * sizeof *g->last);
    g->mrev = malloc(n * sizeof *g->mrev);
    g->rev12 = malloc(n * sizeof *g->rev12);
    g->ord12 = malloc(n * sizeof *g->ord12);
    if (g->months > 12) {
        g->ring_rev = malloc(n * 12 * sizeof *g->ring_rev);
        g->ring_ord = malloc(n * 12 * sizeof *g->ring_ord);
        if (!g->ring_rev || !g->ring_ord)
            return -1;
    }
    return g->dates && g->signup && g->first && g->persona && g->subscribed && g->settle &&
                   g->rate && g->decay && g->openf && g->visitf && g->norders && g->aov &&
                   g->p && g->vipm && g->badm && g->age && g->sex && g->region && g->income &&
                   g->chan && g->acq && g->miss && g->app && g->mood && g->cost && g->last &&
                   g->mrev && g->rev12 && g->ord12
               ? 0
               : -1;
}

/* ------------------------------------------------------------------- API */

void quire_sample_defaults(quire_sample_opts *o)
{
    memset(o, 0, sizeof *o);
    o->out_dir = "data/sample";
    o->customers = 10000;
    o->orders = 0;
    o->first_month = QUIRE_SAMPLE_MONTH(2023, 5);
    o->months = 12;
    o->seed = 42;
}

static int check_opts(const quire_sample_opts *o, quire_error *err)
{
    if (!o->out_dir || !*o->out_dir)
        return quire_err(err, QUIRE_EXIT_USAGE, "sample: no output folder given");
    if (o->customers <= 0 || o->customers > QUIRE_SAMPLE_MAX_CUSTOMERS)
        return quire_err(err, QUIRE_EXIT_USAGE,
                         "sample: customers must be between 1 and %ld (got %ld)",
                         QUIRE_SAMPLE_MAX_CUSTOMERS, o->customers);
    if (o->orders < 0 || o->orders > QUIRE_SAMPLE_MAX_ORDERS)
        return quire_err(err, QUIRE_EXIT_USAGE,
                         "sample: orders must be between 0 (natural rate) and %ld (got %ld)",
                         QUIRE_SAMPLE_MAX_ORDERS, o->orders);
    if (o->months <= 0 || o->months > QUIRE_SAMPLE_MAX_MONTHS)
        return quire_err(err, QUIRE_EXIT_USAGE, "sample: months must be between 1 and %d (got %d)",
                         QUIRE_SAMPLE_MAX_MONTHS, o->months);
    if (o->first_month < QUIRE_SAMPLE_MONTH(1900, 1) ||
        o->first_month > QUIRE_SAMPLE_MONTH(9000, 12))
        return quire_err(err, QUIRE_EXIT_USAGE,
                         "sample: the first month must lie between 1900-01 and 9000-12");
    return 0;
}

int quire_sample_write(const quire_sample_opts *o, quire_error *err)
{
    out_file files[NFILES];
    gen g;
    int i, m, rc = -1;
    long d;

    memset(files, 0, sizeof files);
    memset(&g, 0, sizeof g);
    if (check_opts(o, err))
        return -1;

    g.o = o;
    g.n = o->customers;
    g.months = o->months;
    g.win0 = month_first_day(o->first_month);
    for (m = 0; m <= g.months; m++)
        g.mday[m] = month_first_day((long)o->first_month + m) - g.win0;
    g.ndays = g.mday[g.months];
    if (gen_alloc(&g)) {
        quire_err(err, QUIRE_EXIT_DATA, "sample: out of memory for %ld customers", g.n);
        goto out;
    }
    for (m = 0; m < g.months; m++) {
        g.cal[m] = (unsigned)((o->first_month + m) % 12);
        put_date(g.mstr[m], g.win0 + g.mday[m], 0)[0] = '\0';
        g.tuesdays[m] = count_tuesdays(&g, g.mday[m], g.mday[m + 1]);
    }
    for (d = 0; d < g.ndays; d++)
        put_date(g.dates[d], g.win0 + d, 1);
    if (make_signups(&g)) {
        quire_err(err, QUIRE_EXIT_DATA, "sample: out of memory for %ld customers", g.n);
        goto out;
    }

    /* the first pass: expected orders and the lifecycle the profiles lean on */
    simulate(&g, NULL, err);
    make_profiles(&g);
    g.scale = 65536;
    g.keep = (uint64_t)1 << 32;
    if (o->orders > 0) {
        /* scale the rates so first orders plus the expected rest hit the
           target; below the number of first orders, thin those instead */
        uint64_t want = (uint64_t)o->orders;
        if (want < g.firsts) {
            g.keep = (want << 32) / g.firsts;
            want = 0;
        } else {
            want -= g.firsts;
        }
        g.scale = (g.expect >> 16) ? (want << 24) / (g.expect >> 16) : 0;
        if (g.scale > ((uint64_t)1 << 32))
            g.scale = (uint64_t)1 << 32;
    }

    if (make_dirs(o->out_dir, err))
        goto out;
    for (i = 0; i < NFILES; i++)
        if (out_open(&files[i], o->out_dir, file_names[i], err))
            goto out;
    if (write_customers(&g, &files[F_CUSTOMERS], err) ||
        out_put(&files[F_ORDERS], "order_id,customer_id,order_date,amount\n", err) ||
        out_put(&files[F_ENGAGE],
                "customer_id,month,emails_sent,emails_opened,emails_clicked,web_visits,"
                "app_sessions\n",
                err) ||
        out_put(&files[F_SURVEYS], "customer_id,date,csat,nps\n", err) ||
        out_put(&files[F_BRAND], "customer_id,date,awareness,quality,loyalty\n", err) ||
        out_put(&files[F_TICKETS], "customer_id,opened,response_hours,feedback\n", err) ||
        simulate(&g, files, err) || write_spend(&g, &files[F_SPEND], err))
        goto out;
    for (i = 0; i < NFILES; i++)
        if (out_finish(&files[i], err))
            goto out;
    for (i = 0; i < NFILES; i++)
        if (atomic_commit(&files[i].af, err))
            goto out;
    rc = 0;
out:
    for (i = 0; i < NFILES; i++)
        out_discard(&files[i]);
    gen_free(&g);
    return rc;
}
