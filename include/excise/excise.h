/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libexcise: find, remove and prove gone the software of banned vendors.
 *
 * Map (see docs/architecture.md):
 *   catalog.h  vendors, products, indicators, directives; signatures
 *   obs.h      the observation: one thing an input saw
 *   engine.h   observations in, matched against a catalog, findings out
 *   scan.h     a host's sources feeding an engine; the scan result
 *   report.h   JSON (excise.report/2), text, CSV
 *   error.h    return values and error messages
 *   limits.h   the input limits a front end applies too
 *   output.h   output files that appear only whole (temporary file, fsync, rename)
 */
#ifndef EXCISE_H
#define EXCISE_H

#include "excise/catalog.h"
#include "excise/error.h"
#include "excise/engine.h"
#include "excise/limits.h"
#include "excise/obs.h"
#include "excise/report.h"
#include "excise/scan.h"
#include "excise/plan.h"
#include "excise/remove.h"
#include "excise/attest.h"
#include "excise/output.h"
#include "excise/proto.h"
#include "excise/store.h"
#include "excise/serve.h"
#include "excise/agent.h"

EXCISE_API const char *excise_version(void);

#endif
