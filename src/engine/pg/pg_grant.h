/*
 * pg_grant.h: the GRANT (or ALTER ROLE) that gives a PostgreSQL user what a
 * refusal says it lacks, read from the server's message ("permission
 * denied for table shop.orders", "... to create database", "must be
 * superuser or replication role ..."), for the error godwit reports.
 * writing: the refused statement writes (the grant covers writes too).
 * NULL when the message names nothing this knows; caller frees.
 */
#ifndef GW_PG_GRANT_H
#define GW_PG_GRANT_H

#include <stdbool.h>

char *pg_grant_for(const char *message, const char *user, bool writing);

#endif
