/* SPDX-License-Identifier: MIT */
/*
 * dnp3gwd --device-profile: the IEEE 1815 device profile (XML,
 * DNP3DeviceProfileDocument schema version 2.11.00) of one outstation as
 * the configuration makes it.  Nothing in it is kept by hand:
 *
 *   configuration  the outstation's settings (dwire_outst_cfg(), the same
 *                  derivation the running daemon makes)
 *   database       each point type's default variations and classes
 *   implementationTable
 *                  outst_impl_foreach() with the daemon's own outstation
 *                  upcalls (dsess_outst_cb): the function codes, objects,
 *                  variations and qualifiers its request handling takes
 *   dataPointsList every mapped point: index, name (daemon_names.h),
 *                  where it comes from, class, variations
 *
 * Element names follow the 2.11 schema (namespace .../DeviceProfile/April2016)
 * as the DNP Users Group's published profiles use them; the schema itself is
 * not distributed, so the document is checked for well-formedness only.
 */
#include "daemon/daemon_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "daemon/daemon_names.h"
#include "dnp3/app.h"
#include "dnp3/link.h"
#include "dnp3/ptype.h"

#define DPROF_NS "http://www.dnp3.org/DNP3/DeviceProfile/April2016"

struct dprof {
        FILE *f;
        unsigned depth;
        const struct gw_config *cfg;
        const struct gw_outstation *oc;
        struct outst_cfg ocfg;
};

/* ---- XML ---------------------------------------------------------------- */

static void dprof_indent(struct dprof *p)
{
        for (unsigned i = 0; i < p->depth; i++)
                fputs("  ", p->f);
}

static void dprof_text(struct dprof *p, const char *s)
{
        for (; *s; s++) {
                switch (*s) {
                case '&': fputs("&amp;", p->f); break;
                case '<': fputs("&lt;", p->f); break;
                case '>': fputs("&gt;", p->f); break;
                case '"': fputs("&quot;", p->f); break;
                case '\'': fputs("&apos;", p->f); break;
                default: fputc(*s, p->f); break;
                }
        }
}

static void dprof_open(struct dprof *p, const char *tag)
{
        dprof_indent(p);
        fprintf(p->f, "<%s>\n", tag);
        p->depth++;
}

static void dprof_close(struct dprof *p, const char *tag)
{
        p->depth--;
        dprof_indent(p);
        fprintf(p->f, "</%s>\n", tag);
}

/* <tag>text</tag> */
__attribute__((format(printf, 3, 0)))
static void dprof_vel(struct dprof *p, const char *tag, const char *fmt, va_list ap)
{
        char buf[512];
        vsnprintf(buf, sizeof(buf), fmt, ap);
        dprof_indent(p);
        fprintf(p->f, "<%s>", tag);
        dprof_text(p, buf);
        fprintf(p->f, "</%s>\n", tag);
}

__attribute__((format(printf, 3, 4)))
static void dprof_el(struct dprof *p, const char *tag, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        dprof_vel(p, tag, fmt, ap);
        va_end(ap);
}

/* <tag><choice/></tag> */
static void dprof_choice(struct dprof *p, const char *tag, const char *choice)
{
        dprof_indent(p);
        fprintf(p->f, "<%s><%s/></%s>\n", tag, choice, tag);
}

/* How a setting's text is written: as its value, or as the explanation of an "other". */
enum dprof_as { DPROF_VALUE, DPROF_OTHER };

/*
 * A setting as configured, <tag><currentValue><value>text</value>..., or
 * one the schema has no choice for:
 * <tag><currentValue><other><explanation>text</explanation>...
 */
__attribute__((format(printf, 4, 5)))
static void dprof_set(struct dprof *p, enum dprof_as as, const char *tag, const char *fmt, ...)
{
        va_list ap;
        dprof_open(p, tag);
        dprof_open(p, "currentValue");
        if (as == DPROF_OTHER)
                dprof_open(p, "other");
        va_start(ap, fmt);
        dprof_vel(p, as == DPROF_OTHER ? "explanation" : "value", fmt, ap);
        va_end(ap);
        if (as == DPROF_OTHER)
                dprof_close(p, "other");
        dprof_close(p, "currentValue");
        dprof_close(p, tag);
}

/* A setting that is one of the schema's choices: <tag><currentValue><choice/>... */
static void dprof_current(struct dprof *p, const char *tag, const char *choice)
{
        dprof_open(p, tag);
        dprof_choice(p, "currentValue", choice);
        dprof_close(p, tag);
}

/* The schema spells variations and classes as words. */
static const char *const dprof_numbers[] = {
        "none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
};

static const char *dprof_number(unsigned v)
{
        return v < D_N(dprof_numbers) ? dprof_numbers[v] : "basedOnPointIndex";
}

/* ---- the point types in the profile's terms ------------------------------ */

/*
 * Per point type: the database group, the points list and a point's
 * element.  Frozen counters are listed with their counters (counterPoints).
 */
static const struct dprof_type {
        const char *group, *points, *point;
        bool input;
} dprof_types[DNP_PTYPE_COUNT] = {
        [DNP_PTYPE_ORD_BI] = { "binaryInputGroup", "binaryInputPoints", "binaryInput", true },
        [DNP_PTYPE_ORD_DBI] = { "doubleBitInputGroup", "doubleBitInputPoints", "doubleBitInput",
                                true },
        [DNP_PTYPE_ORD_BO] = { "binaryOutputGroup", "binaryOutputPoints", "binaryOutput", false },
        [DNP_PTYPE_ORD_CNT] = { "counterGroup", "counterPoints", "counter", true },
        [DNP_PTYPE_ORD_FCNT] = { "counterGroup", "counterPoints", "counter", true },
        [DNP_PTYPE_ORD_AI] = { "analogInputGroup", "analogInputPoints", "analogInput", true },
        [DNP_PTYPE_ORD_AO] = { "analogOutputGroup", "analogOutputPoints", "analogOutput", false },
};

/* The default static (event) variation of type t: the one of every range, or 0 when they differ. */
static unsigned dprof_default_var(const struct gw_config *cfg, enum dnp_type t, bool event)
{
        const struct gw_point_list *l = &cfg->points[t];
        unsigned v = 0;
        for (size_t i = 0; i < l->n; i++) {
                unsigned x = event ? l->v[i].event_var : l->v[i].static_var;
                if (i > 0 && x != v)
                        return 0;
                v = x;
        }
        return v;
}

/* ---- configuration ------------------------------------------------------- */

static void dprof_device(struct dprof *p)
{
        dprof_open(p, "deviceConfig");
        dprof_current(p, "deviceFunction", "outstation");
        dprof_set(p, DPROF_VALUE, "vendorName", "dnp3gw");
        dprof_set(p, DPROF_VALUE, "deviceName", "dnp3gwd %s, outstation %s", p->cfg->gateway.name,
                  p->oc->name);
        dprof_set(p, DPROF_VALUE, "softwareVersion", "%s", DNP3GW_VERSION);
        dprof_set(p, DPROF_VALUE, "hardwareVersion", "not applicable (software)");
        dprof_set(p, DPROF_VALUE, "documentVersionNumber", "1");
        dprof_set(p, DPROF_OTHER, "configurationMethods",
                  "text file %s (dnp3gw.conf(5)), reloaded on SIGHUP", p->cfg->path);
        dprof_current(p, "connectionsSupported", "network");
        dprof_close(p, "deviceConfig");
}

static void dprof_network(struct dprof *p)
{
        char host[64];
        uint16_t port = 0;
        const struct sockaddr_storage *sa = &p->oc->endpoint.sa;
        /* listen is "host:port" or "[v6]:port" */
        snprintf(host, sizeof(host), "%s", p->oc->listen);
        char *colon = strrchr(host, ':');
        if (colon) {
                *colon = '\0';
                if (host[0] == '[') {
                        memmove(host, host + 1, strlen(host));
                        host[strlen(host) - 1] = '\0';
                }
        }
        if (sa->ss_family == AF_INET)
                port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
        else if (sa->ss_family == AF_INET6)
                port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);

        dprof_open(p, "networkConfig");
        dprof_set(p, DPROF_VALUE, "portName", "%s", p->oc->listen);
        dprof_current(p, "typeOfEndPoint", "tcpListening");
        dprof_open(p, "ipAddress");
        dprof_open(p, "currentValue");
        dprof_el(p, "address", "%s", host);
        dprof_close(p, "currentValue");
        dprof_close(p, "ipAddress");
        if (p->oc->nallow == 0) {
                dprof_current(p, "tcpConnectionEstablishment", "allowsAll");
        } else {
                char list[400];
                size_t off = 0;
                list[0] = '\0';
                for (size_t i = 0; i < p->oc->nallow && off < sizeof(list); i++) {
                        char a[64];
                        io_cidr_format(&p->oc->allow[i], a, sizeof(a));
                        off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
                                                i ? ", " : "", a);
                }
                dprof_set(p, DPROF_OTHER, "tcpConnectionEstablishment",
                          "only from the allowed peers %s; a new connection replaces the old one",
                          list);
        }
        dprof_set(p, DPROF_VALUE, "tcpListenPort", "%u", port);
        dprof_open(p, "timeSynchronization");
        dprof_open(p, "currentValue");
        dprof_indent(p);
        fputs("<dnpLANProcedure/>\n", p->f);
        dprof_indent(p);
        fputs("<dnpWriteTimeProcedure/>\n", p->f);
        dprof_close(p, "currentValue");
        dprof_close(p, "timeSynchronization");
        dprof_close(p, "networkConfig");
}

static void dprof_link(struct dprof *p)
{
        dprof_open(p, "linkConfig");
        dprof_set(p, DPROF_VALUE, "dataLinkAddress", "%u", p->oc->address);
        dprof_current(p, "sourceAddressValidation", "alwaysSingleAddress");
        dprof_set(p, DPROF_VALUE, "expectedSourceAddress", "%u", p->oc->master_address);
        dprof_current(p, "selfAddressSupport", "no");
        dprof_current(p, "sendsConfirmedUserDataFrames", "never");
        dprof_set(p, DPROF_VALUE, "maxTransmittedFrameSize", "%d", LINK_MAX_FRAME);
        dprof_set(p, DPROF_VALUE, "maxReceivedFrameSize", "%d", LINK_MAX_FRAME);
        dprof_close(p, "linkConfig");
}

static void dprof_appl(struct dprof *p)
{
        dprof_open(p, "applConfig");
        dprof_set(p, DPROF_VALUE, "maxTransmittedFragmentSize", "%zu", p->ocfg.max_fragment);
        dprof_set(p, DPROF_VALUE, "maxReceivedFragmentSize", "%zu", p->ocfg.max_rx_fragment);
        /* controls pass through: every status an IED can answer comes back as it is */
        dprof_open(p, "controlStatusCodesSupported");
        dprof_open(p, "currentValue");
#define X(name, code)                                   \
        if ((code) != DNP_CMD_SUCCESS) {                \
                dprof_indent(p);                        \
                fprintf(p->f, "<code%d/>\n", (code));   \
        }
        DNP_CMD_STATUS_LIST(X)
#undef X
        dprof_close(p, "currentValue");
        dprof_close(p, "controlStatusCodesSupported");
        dprof_close(p, "applConfig");
}

/* need_time: IIN1.4 (NEED_TIME) set `when` need_time after the last synchronization, or never. */
static void dprof_need_time(struct dprof *p, const char *tag, const char *when)
{
        if (p->ocfg.need_time_ms)
                dprof_set(p, DPROF_OTHER, tag, "%s %.3f s after the last time synchronization",
                          when, (double)p->ocfg.need_time_ms / 1000.0);
        else
                dprof_current(p, tag, "never");
}

static void dprof_outstation(struct dprof *p)
{
        dprof_open(p, "outstationConfig");
        dprof_set(p, DPROF_VALUE, "applicationLayerConfirmTimeout", "%" PRIu64,
                  p->ocfg.confirm_timeout_ms);
        dprof_need_time(p, "timeSyncRequired", "IIN1.4 is set");
        dprof_current(p, "eventBufferOverflowBehavior", "discardOldest");
        dprof_open(p, "eventBufferOrganization");
        dprof_open(p, "currentValue");
        dprof_open(p, "perClass");
        for (unsigned c = 1; c <= 3; c++) {
                char tag[16];
                snprintf(tag, sizeof(tag), "class%uValue", c);
                dprof_el(p, tag, "%" PRIu32, p->ocfg.event_depth[c]);
        }
        dprof_close(p, "perClass");
        dprof_close(p, "currentValue");
        dprof_close(p, "eventBufferOrganization");
        dprof_current(p, "sendsMultiFragmentResponses", "yes");
        dprof_close(p, "outstationConfig");

        dprof_open(p, "unsolicitedConfig");
        dprof_current(p, "supportsUnsolicitedReporting", p->ocfg.unsol.enabled ? "on" : "off");
        dprof_close(p, "unsolicitedConfig");

        dprof_open(p, "outstationPerformance");
        dprof_need_time(p, "outstationSetsIIN14", "at startup and");
        dprof_close(p, "outstationPerformance");
}

/* ---- database ------------------------------------------------------------ */

static void dprof_var(struct dprof *p, const char *tag, unsigned v)
{
        dprof_current(p, tag, v ? dprof_number(v) : "basedOnPointIndex");
}

static void dprof_database(struct dprof *p)
{
        const struct gw_config *cfg = p->cfg;
        dprof_open(p, "database");
        DNP_PTYPE_FOREACH(pt) {
                const struct dprof_type *x = &dprof_types[pt - dnp_ptypes];
                enum dnp_type t = pt->type;
                if (t == DNP_TYPE_FCNT)
                        continue;               /* with the counters */
                bool fcnt = t == DNP_TYPE_CNT && cfg->points[DNP_TYPE_FCNT].n;
                if (!cfg->points[t].n && !fcnt)
                        continue;
                dprof_open(p, x->group);
                dprof_open(p, "configuration");
                if (t == DNP_TYPE_CNT) {
                        dprof_var(p, "defaultCounterStaticVariation",
                                  dprof_default_var(cfg, t, false));
                        dprof_var(p, "defaultCounterEventVariation",
                                  dprof_default_var(cfg, t, true));
                        dprof_current(p, "counterClass0ResponseMode", "always");
                        if (fcnt) {
                                dprof_var(p, "defaultFrozenCounterStaticVariation",
                                          dprof_default_var(cfg, DNP_TYPE_FCNT, false));
                                dprof_var(p, "defaultFrozenCounterEventVariation",
                                          dprof_default_var(cfg, DNP_TYPE_FCNT, true));
                                dprof_current(p, "frozenCounterClass0ResponseMode", "always");
                        }
                        dprof_current(p, "countersFrozen", "masterRequest");
                } else {
                        dprof_var(p, "defaultStaticVariation", dprof_default_var(cfg, t, false));
                        dprof_var(p, pt->output ? "defaultChangeEventVariation"
                                                : "defaultEventVariation",
                                  dprof_default_var(cfg, t, true));
                        dprof_current(p, t == DNP_TYPE_AI ? "analogEventReportingMode"
                                                          : "eventReportingMode", "allEvents");
                        dprof_current(p, t == DNP_TYPE_AI ? "analogInputClass0ResponseMode"
                                                          : "class0ResponseMode", "always");
                        if (t == DNP_TYPE_AI) {
                                dprof_current(p, "analogDeadbandAssignments",
                                              "configurableViaOtherMeans");
                                dprof_current(p, "analogDeadbandAlgorithm", "simple");
                        }
                        if (pt->output)
                                dprof_set(p, DPROF_VALUE, "maxTimeBetweenSelectAndOperate", "%.3f",
                                          (double)p->ocfg.select_timeout_ms / 1000.0);
                }
                dprof_close(p, "configuration");
                dprof_close(p, x->group);
        }
        dprof_close(p, "database");
}

/* ---- implementation table ------------------------------------------------ */

static void dprof_quals(struct dprof *p, uint32_t quals)
{
        for (unsigned i = 0; i < OBJ_QUAL_COUNT; i++)
                if (quals & (1u << i))
                        dprof_el(p, "qualifierCode", "%u", obj_qual_code(i));
}

static void dprof_impl_row(void *ctx, const struct outst_impl *r)
{
        struct dprof *p = ctx;
        if (r->group == 0) {
                dprof_open(p, "supportedFunctionCode");
                dprof_open(p, "request");
                dprof_el(p, "functionCode", "%u", r->func);
                dprof_close(p, "request");
                dprof_close(p, "supportedFunctionCode");
                return;
        }
        const struct obj_desc *d = obj_lookup(r->group, r->var);
        dprof_open(p, "supportedVariation");
        dprof_el(p, "objectGroup", "%u", r->group);
        dprof_el(p, "variation", "%u", r->var);
        if (d)
                dprof_el(p, "description", "%s", d->name);
        else if (r->group == 50 && r->var == 2)
                dprof_el(p, "description", "Time and Date - Absolute Time and Interval");
        else
                dprof_el(p, "description", "Group %u Variation %u", r->group, r->var);
        if (r->func != APP_FUNC_RESPONSE) {
                dprof_open(p, "request");
                dprof_el(p, "functionCode", "%u", r->func);
                dprof_quals(p, r->quals);
                dprof_close(p, "request");
        }
        if (r->rsp_quals) {
                dprof_open(p, "response");
                dprof_el(p, "functionCode", "%u", APP_FUNC_RESPONSE);
                if (r->rsp_unsol)
                        dprof_el(p, "functionCode", "%u", APP_FUNC_UNSOLICITED_RESPONSE);
                dprof_quals(p, r->rsp_quals);
                dprof_close(p, "response");
        }
        dprof_close(p, "supportedVariation");
}

/* ---- points -------------------------------------------------------------- */

static const char *dprof_class(uint8_t c)
{
        return dprof_number(c);
}

/* "bay1/relay1 binary_input 3": where point k of range r of type t comes from. */
static char *dprof_source(const struct dprof *p, enum dnp_type t, const struct gw_point_range *r,
                          uint32_t k, char *buf, size_t n)
{
        const struct gw_channel *ch = &p->cfg->channels[r->channel];
        snprintf(buf, n, "%s/%s %s %" PRIu32, ch->name, ch->devices[r->device].name,
                 dnp_type_name(t), r->source_index + k);
        return buf;
}

static void dprof_point(struct dprof *p, enum dnp_type t, const struct gw_point_range *r,
                        uint32_t k)
{
        const struct gw_config *cfg = p->cfg;
        const struct dnp_ptype *pt = dnp_ptype(t);
        const struct dprof_type *x = &dprof_types[pt - dnp_ptypes];
        char buf[DNAMES_POINT_MAX];
        dprof_open(p, x->point);
        dprof_el(p, "index", "%" PRIu32, r->index + k);
        dprof_el(p, "name", "%s", dnames_point(cfg, t, r, k, buf, sizeof(buf)));
        char src[DNAMES_POINT_MAX + 32];
        dprof_source(p, t, r, k, src, sizeof(src));
        if (t == DNP_TYPE_CNT || t == DNP_TYPE_FCNT) {
                /* a counter with the frozen counter of its index, or a frozen counter alone */
                uint32_t fk = k;
                const struct gw_point_range *fr = r;
                if (t == DNP_TYPE_CNT)
                        fr = dnames_find(cfg, DNP_TYPE_FCNT, r->index + k, &fk);
                if (t == DNP_TYPE_CNT && fr) {
                        char fb[DNAMES_POINT_MAX], fsrc[DNAMES_POINT_MAX + 32];
                        dprof_el(p, "description", "from %s; frozen counter \"%s\" from %s", src,
                                 dnames_point(cfg, DNP_TYPE_FCNT, fr, fk, fb, sizeof(fb)),
                                 dprof_source(p, DNP_TYPE_FCNT, fr, fk, fsrc, sizeof(fsrc)));
                } else {
                        dprof_el(p, "description", "%sfrom %s",
                                 t == DNP_TYPE_FCNT ? "frozen counter only, " : "", src);
                }
                dprof_el(p, "countersIncludedInClass0", t == DNP_TYPE_CNT ? "always" : "never");
                dprof_el(p, "counterEventClass", "%s",
                         dprof_class(t == DNP_TYPE_CNT ? r->event_class : 0));
                dprof_el(p, "frozenCounterExists", fr ? "true" : "false");
                if (fr) {
                        dprof_el(p, "frozenCountersIncludedInClass0", "always");
                        dprof_el(p, "frozenCounterEventClass", "%s", dprof_class(fr->event_class));
                }
        } else {
                dprof_el(p, "description", "from %s", src);
                dprof_el(p, "changeEventClass", "%s", dprof_class(r->event_class));
                if (pt->output)
                        dprof_el(p, "commandEventClass", "none");
                dprof_el(p, "includedInClass0Response", "always");
                dprof_choice(p, "defaultStaticVariation", dprof_number(r->static_var));
                dprof_choice(p, pt->output ? "defaultChangeEventVariation"
                                           : "defaultEventVariation",
                             dprof_number(r->event_var));
                if (pt->output) {
                        /* passed through to the IED, which decides */
                        static const char *const bo_ops[] = {
                                "supportSelectOperate", "supportDirectOperate",
                                "supportDirectOperateNoAck", "supportPulseOn", "supportPulseOff",
                                "supportLatchOn", "supportLatchOff", "supportTrip", "supportClose",
                        };
                        size_t nops = t == DNP_TYPE_BO ? D_N(bo_ops) : 3;
                        dprof_open(p, "supportedControlOperations");
                        for (size_t i = 0; i < nops; i++) {
                                dprof_indent(p);
                                fprintf(p->f, "<%s/>\n", bo_ops[i]);
                        }
                        dprof_close(p, "supportedControlOperations");
                }
        }
        dprof_close(p, x->point);
}

/* The ranges of type t in upstream index order (the file may list them in any order). */
static size_t dprof_sorted(const struct gw_config *cfg, enum dnp_type t,
                           const struct gw_point_range **out, size_t max)
{
        const struct gw_point_list *l = &cfg->points[t];
        size_t n = 0;
        for (size_t i = 0; i < l->n && n < max; i++) {
                size_t j = n++;
                while (j > 0 && out[j - 1]->index > l->v[i].index) {
                        out[j] = out[j - 1];
                        j--;
                }
                out[j] = &l->v[i];
        }
        return n;
}

static int dprof_points(struct dprof *p)
{
        const struct gw_config *cfg = p->cfg;
        dprof_open(p, "dataPointsList");
        DNP_PTYPE_FOREACH(pt) {
                enum dnp_type t = pt->type;
                const struct dprof_type *x = &dprof_types[pt - dnp_ptypes];
                if (t == DNP_TYPE_FCNT)
                        continue;               /* with the counters */
                size_t cap = cfg->points[t].n;
                if (t == DNP_TYPE_CNT)
                        cap += cfg->points[DNP_TYPE_FCNT].n;
                if (cap == 0)
                        continue;
                const struct gw_point_range **v = calloc(cap, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                size_t n = dprof_sorted(cfg, t, v, cap);
                dprof_open(p, x->points);
                dprof_open(p, "dataPoints");
                for (size_t i = 0; i < n; i++)
                        for (uint32_t k = 0; k < v[i]->count; k++)
                                dprof_point(p, t, v[i], k);
                if (t == DNP_TYPE_CNT) {
                        /* frozen counters without a counter at their index */
                        n = dprof_sorted(cfg, DNP_TYPE_FCNT, v, cap);
                        for (size_t i = 0; i < n; i++) {
                                for (uint32_t k = 0; k < v[i]->count; k++) {
                                        uint32_t ck;
                                        if (!dnames_find(cfg, DNP_TYPE_CNT, v[i]->index + k, &ck))
                                                dprof_point(p, DNP_TYPE_FCNT, v[i], k);
                                }
                        }
                }
                dprof_close(p, "dataPoints");
                dprof_close(p, x->points);
                free(v);
        }
        dprof_close(p, "dataPointsList");
        return 0;
}

/* ---- the document -------------------------------------------------------- */

int daemon_device_profile(const struct gw_config *cfg, const char *outstation, FILE *f)
{
        const struct gw_outstation *oc = NULL;
        for (size_t i = 0; i < cfg->noutstations; i++)
                if (strcmp(cfg->outstations[i].name, outstation) == 0)
                        oc = &cfg->outstations[i];
        if (!oc)
                return -ENOENT;
        struct dprof p = { .f = f, .cfg = cfg, .oc = oc };
        dwire_outst_cfg(cfg, oc, &p.ocfg);

        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<?xml-stylesheet type=\"text/xsl\" href=\"DNP3DeviceProfileApril2016.xslt\"?>\n"
              "<DNP3DeviceProfileDocument schemaVersion=\"2.11.00\" xmlns=\"" DPROF_NS "\"\n"
              "    xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
              "    xsi:schemaLocation=\"" DPROF_NS " DNP3DeviceProfileApril2016.xsd\">\n", f);
        p.depth = 1;
        dprof_open(&p, "documentHeader");
        dprof_el(&p, "documentName", "%s outstation %s device profile", cfg->gateway.name,
                 oc->name);
        dprof_el(&p, "documentDescription",
                 "Generated by dnp3gwd %s --device-profile from %s: the outstation as "
                 "configured; its implementation table comes from the tables the outstation "
                 "answers requests by", DNP3GW_VERSION, cfg->path);
        dprof_el(&p, "documentType", "Configuration");
        dprof_close(&p, "documentHeader");

        dprof_open(&p, "referenceDevice");
        dprof_open(&p, "configuration");
        dprof_device(&p);
        dprof_network(&p);
        dprof_link(&p);
        dprof_appl(&p);
        dprof_outstation(&p);
        dprof_close(&p, "configuration");
        dprof_database(&p);
        dprof_open(&p, "implementationTable");
        dprof_open(&p, "table");
        outst_impl_foreach(&p.ocfg, &dsess_outst_cb, dprof_impl_row, &p);
        dprof_close(&p, "table");
        dprof_close(&p, "implementationTable");
        int r = dprof_points(&p);
        dprof_close(&p, "referenceDevice");
        fputs("</DNP3DeviceProfileDocument>\n", f);
        if (r < 0)
                return r;
        return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}
