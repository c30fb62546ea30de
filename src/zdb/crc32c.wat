;; CRC32C (Castagnoli, reflected 0x82F63B78), slicing-by-16, as the reference 0-db computes it
;; (no pre/post inversion: the caller passes the running value and gets the next one back).
;;
;; Memory layout (set up by crc32c-wasm.ts):
;;   [0, 16384)   sixteen 256-entry u32 tables, table k at k*1024:
;;                T0 = byte table, Tk[i] = (T(k-1)[i] >>> 8) ^ T0[T(k-1)[i] & 255]
;;   [65536, ...) the bytes to checksum (the caller copies them there)
;;
;; One 16-byte step: the running CRC is xored into the first word; byte j of the block
;; (0..15) is looked up in table 15-j and the sixteen lookups are xored together. Indexes are
;; pre-scaled by 4 (shift + mask 1020), tables are addressed with the load's constant offset.
(module
  (memory (export "memory") 2)

  (func (export "crc32c") (param $crc i32) (param $p i32) (param $n i32) (result i32)
    (local $end i32)
    (local $end16 i32)
    (local $a i32)
    (local $b i32)
    (local $c i32)
    (local $d i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (local.set $end16 (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -16))))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_u (local.get $p) (local.get $end16)))
        (local.set $a (i32.xor (local.get $crc) (i32.load (local.get $p))))
        (local.set $b (i32.load offset=4 (local.get $p)))
        (local.set $c (i32.load offset=8 (local.get $p)))
        (local.set $d (i32.load offset=12 (local.get $p)))
        (local.set $crc
          (i32.xor
            (i32.xor
              (i32.xor
                (i32.xor
                  (i32.load offset=15360
                    (i32.and (i32.shl (local.get $a) (i32.const 2)) (i32.const 1020)))
                  (i32.load offset=14336
                    (i32.and (i32.shr_u (local.get $a) (i32.const 6)) (i32.const 1020))))
                (i32.xor
                  (i32.load offset=13312
                    (i32.and (i32.shr_u (local.get $a) (i32.const 14)) (i32.const 1020)))
                  (i32.load offset=12288
                    (i32.and (i32.shr_u (local.get $a) (i32.const 22)) (i32.const 1020)))))
              (i32.xor
                (i32.xor
                  (i32.load offset=11264
                    (i32.and (i32.shl (local.get $b) (i32.const 2)) (i32.const 1020)))
                  (i32.load offset=10240
                    (i32.and (i32.shr_u (local.get $b) (i32.const 6)) (i32.const 1020))))
                (i32.xor
                  (i32.load offset=9216
                    (i32.and (i32.shr_u (local.get $b) (i32.const 14)) (i32.const 1020)))
                  (i32.load offset=8192
                    (i32.and (i32.shr_u (local.get $b) (i32.const 22)) (i32.const 1020))))))
            (i32.xor
              (i32.xor
                (i32.xor
                  (i32.load offset=7168
                    (i32.and (i32.shl (local.get $c) (i32.const 2)) (i32.const 1020)))
                  (i32.load offset=6144
                    (i32.and (i32.shr_u (local.get $c) (i32.const 6)) (i32.const 1020))))
                (i32.xor
                  (i32.load offset=5120
                    (i32.and (i32.shr_u (local.get $c) (i32.const 14)) (i32.const 1020)))
                  (i32.load offset=4096
                    (i32.and (i32.shr_u (local.get $c) (i32.const 22)) (i32.const 1020)))))
              (i32.xor
                (i32.xor
                  (i32.load offset=3072
                    (i32.and (i32.shl (local.get $d) (i32.const 2)) (i32.const 1020)))
                  (i32.load offset=2048
                    (i32.and (i32.shr_u (local.get $d) (i32.const 6)) (i32.const 1020))))
                (i32.xor
                  (i32.load offset=1024
                    (i32.and (i32.shr_u (local.get $d) (i32.const 14)) (i32.const 1020)))
                  (i32.load
                    (i32.and (i32.shr_u (local.get $d) (i32.const 22)) (i32.const 1020))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $blocks)))
    ;; Tail, one byte at a time: crc = T0[(crc ^ byte) & 255] ^ (crc >>> 8).
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $crc
          (i32.xor
            (i32.load
              (i32.shl
                (i32.and
                  (i32.xor (local.get $crc) (i32.load8_u (local.get $p)))
                  (i32.const 255))
                (i32.const 2)))
            (i32.shr_u (local.get $crc) (i32.const 8))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tail)))
    (local.get $crc)))
