/*
 * keys.h - fixed private JWKs for the fuzz targets (test keys generated once with
 * Node's crypto for this purpose only; they protect nothing). Fixed rather than
 * generated at start so that the seed tokens in corpus/jws verify on replay.
 */
#ifndef SY_FUZZ_KEYS_H
#define SY_FUZZ_KEYS_H

static const char JWK_RSA[] =
        "{\"kid\":\"rsa\",\"kty\":\"RSA\",\"n\":\"oV42-"
        "rALu3f3q7HSvz9mCTsEfRd2YhG3dQdSQ9K8Sq8PjjS99DiRX7NWVsPfGyDUvIJmJW"
        "S2VwYdSLu5INbrvuY_GS3F-s_S1OSAhoBW7B7kix_x0d5PZVZjBBhL88F56SH_autnAAsws27-TLnJsExRMhp5EvX_-iUv17_r9b"
        "0HdWr9w7YuMh3ESIKV6QN1M7O9ylmvrghrVGf-zVWX8CFiWK6SupTXzGNAp-RFOSbduZm10ELZEfbpUvGoVwA-Wdg7cdcXsG7FMH"
        "U7QurfUfcU32wfVZ6czOL8x0jaJHjzFZiK1euFyWHPQ1F2UpHkxpl0PAhRZf2AqapLmf3Jgw\",\"e\":\"AQAB\",\"d\":\"ARKdmPMHUP"
        "AOOcT32q-dil2AZ83PyqfFfsYABQAR97PMOFd0v8_fH4doq9unewhaga-i5YgS3Oc8gJmcNHID-oPl_XvcFLvBnLVcKV4Rtdt1Yi"
        "YMjHxG2NdHLJAgySELIhfzbmQxjhgvnbG_h7ELJzHgBE5AFHaFhMXZ2JGntuglFZEyAUJks_ivFaxZPLE4FMifYoOuE4XWGAZgnO"
        "Iod6tWvu22CCiytZ4vebHeiLmEYuyFcR6QiQxJ80or8aYpyLHpzalUXQajm_3OsywfYcI7ADlnFg-t4PEloeAYZzf2qu3t6PSNDU"
        "aqz9_MXs8NCS55eorzyA8wAOzO1ysM4Q\",\"p\":\"0BwTDCXA_I7yIUdT7kAutZslYptjgtIh5REbWfPBh-Iagxcf6_Tp8ANL5rOX-"
        "HuIZLaJyPCwP2mFYnCHm_LgoBrL9d1CmLIhZmTzwzzQD6LLfttqJTPWflZXlivyt0HovEIpsgsHHvIBcnAzEg7h3VhwH0-FsDB_O"
        "F0EnWP3PzM\",\"q\":\"xoCMffu9luIDQUCVvAF8vaK4LEpYWZf8S5V7q1sul7J5aDTy9ZZtFpu2JVYHnIB6Xh1c4euETxBbZQ0KuBP"
        "BJqdthXzNSIdonUxWjyXwkdwOWNVZizGWy6Mv_AqNy4oC3S5bWriZ97CQTHIAR7PeWGIcBDdGTr3V_pY1Y8uJjHE\",\"dp\":\"x2Iu"
        "aZP-SrqVhoa1Be2eEsZa0hd4Bo1WhgWWw97DC3H33qKYJdPXEenGnXhxYFLSgVNVvRvEcGyjq4WOlz3iMeKaiKt8s5juYRDVbrdj"
        "y6c3-gkzsALzPMVyUuE2QJc36K4nDnp8TwyjkEWo2GNDyHKDsavZtM0yBgkwc66j4ns\",\"dq\":\"o6lFLHIshIRgDqLDUbkgMfJBS"
        "zMY2PW4rFDZIBUTuzsJYmOVleqqkqNbcDkYGW7MdWBcPmDCO7XOxOgV2GNhMw-D-zVEw_HwzRAtpeSwDnKS2ac-JseB_u_TFklVU"
        "2W8qsQXyhq9xzwqHP05QeUJA3IQi2FPdIiMMVWDO36LL-E\",\"qi\":\"qyWQG2eMNrYTv0aFhAulazJ3UAfm4Tdl3hx4BBFGyJu7Xu"
        "FAVbT3v_NzevIvjh3BEl0v4oCBcaBDf1G7xCZytPFAdyHezCEN7eUQj9KErHlNmWAnbMPqz-LTAv4WoqFWK85ShmsYiFRUTVN06i"
        "69HG_9oJ86-95dP6mJ-hD5CyE\"}";

static const char JWK_ES256[] =
        "{\"kid\":\"es256\",\"kty\":\"EC\",\"x\":\"y7DpJcwnwAocWIVe8eHvPQHEiwgV8hrco7xcVemryGw\",\"y\":"
        "\"SnvHsJ0wHMLFHgVAphv"
        "KUtOtwzS7qkqDjTtqA9bNPvg\",\"crv\":\"P-256\",\"d\":\"9Ic-VQEZf4eA3TUIJdAfHT5Qx3zyrzHN-GjiCMLTum8\"}";

static const char JWK_ES256_B[] =
        "{\"kid\":\"es256-b\",\"kty\":\"EC\",\"x\":\"mv8s5jyvwX_jur1V131szi9BiDndzGXIOF3--C9LMc4\",\"y\":"
        "\"2pXiUvGLDM5m_GoUN"
        "vVxvMGU6VUPEKjC8yPulq5flj4\",\"crv\":\"P-256\",\"d\":\"cBAy9yennRccPh4tIk0RdaDTRdj_PyJXJRCKXwKcQw8\"}";

static const char JWK_ES384[] =
        "{\"kid\":\"es384\",\"kty\":\"EC\",\"x\":\"h7LV392gZGvcuDPHcZEVlhrpc7YLang2Yu_XeDBuu13AMy1oZPeMjmdNm2fNQ0TR\","
        "\"y\""
        ":\"Leq5A0dOP1a6BWdMDYHeFWP8mwuH4tPkrUBoqfCwQT3PVU6CODjNjktqdFZxd8ib\",\"crv\":\"P-384\",\"d\":\"BXFpBLRZnILzg"
        "gL7AUOKK1bO17EB0wnEF9xOaF9y-S7Eeg1lsrN9FHEXc5Atd3dk\"}";

static const char JWK_ES512[] =
        "{\"kid\":\"es512\",\"kty\":\"EC\",\"x\":\"AKtAH5J_wYtNqIzjM02dUjeMTQmb7_Vt71DbfBBaeRgKwjoCvs-yTiHEAbF-"
        "IA9FxzdUM"
        "pdz-ckOTn0C7uHvyHfg\",\"y\":\"ADyKGuRWsnHJfWx84ydevzFdkLIqFI_KpoiAAGi-rQqR5kig1HTOkQEw5XdBq2ed2xhuJulg33"
        "LMroPCJDTOrhhr\",\"crv\":\"P-521\",\"d\":\"ALOuJnMKxILZC_0srr4lw1mgX3bIkNgir0VIgDu9Dj1eeIUtRpZYszYFoUsKh_HH8"
        "cR75lSid8DDyYdYU9cG-N7X\"}";

static const char JWK_ED25519[] = "{\"kid\":\"ed\",\"crv\":\"Ed25519\",\"d\":\"-"
                                  "2rNHuh6tbsHdiRlpDJrNvahIjNHVbVAWqhr01PSi-4\",\"x\":\"pPVzJu2Ka3OzTFi89"
                                  "_yom-BoGr1kMndYQlWKMSGC38U\",\"kty\":\"OKP\"}";

#endif
