/*
 * target_fit.h: what of a phase's rows a target could not take as they are,
 * found before anything moves: values its types lack ('infinity' dates,
 * arrays of more dimensions: CockroachDB), and tables without a primary key
 * too large for the one transaction they are copied in.  fetch refuses on
 * them; preflight says them.
 */
#ifndef GW_TARGET_FIT_H
#define GW_TARGET_FIT_H

#include "core/catalog.h"
#include "core/selection.h"
#include "engine/engine.h"

/*
 * Each problem logged (table, column, how many, what to do); GW_ERR_USAGE
 * when there is one.  rows: the phase's row filters.
 */
GwResult target_fit_check(EngineConn *source, EngineConn *target, const Catalog *cat,
                          const Selection *rows) GW_MUST_CHECK;

#endif
