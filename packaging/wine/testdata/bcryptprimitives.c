/*
 * A test-only stand-in for Windows' bcryptprimitives.dll, which Debian's
 * Wine 8.0 lacks: Go's Windows runtime (1.24 and later) gets its random
 * numbers from ProcessPrng there and stops with "bcryptprimitives.dll not
 * found" without it. Windows 10 and 11 have the real one. This forwards to
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has. The Wine
 * tests build it with mingw-w64 into the throw-away Wine prefix's system32;
 * it is never shipped.
 */
#include <windows.h>

BOOLEAN NTAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
