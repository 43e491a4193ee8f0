/* version.h - tzsigner's version, for `tzsigner version`, /statusz and the
 * packages (the Makefile reads it from here). */
#ifndef TZS_BASE_VERSION_H
#define TZS_BASE_VERSION_H

#define TZSIGNER_VERSION "0.1.0"

#endif
