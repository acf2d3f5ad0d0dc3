// The system zlib (Debian: zlib1g-dev), imported into Swift as the CZlib module.
#include <zlib.h>
