/*
 * mysql_grant.h: the GRANT that gives a MySQL/MariaDB account what a
 * refusal says it lacks, read from the server's message ("SELECT command
 * denied to user ... for table `shop`.`orders`", "you need (at least one
 * of) the SUPER, BINLOG MONITOR privilege(s)", "Access denied for user ...
 * to database '_godwit'", CREATE TRIGGER without SUPER under binary
 * logging), for the error godwit reports.  account: the account the grant
 * is for, as CURRENT_USER() gives it (user@host); NULL: the one the message
 * names, if any.  NULL when the message names nothing this knows; caller
 * frees.  Pure: no I/O.
 */
#ifndef GW_MYSQL_GRANT_H
#define GW_MYSQL_GRANT_H

char *mysql_grant_for(unsigned int errnum, const char *message, const char *account);

#endif
