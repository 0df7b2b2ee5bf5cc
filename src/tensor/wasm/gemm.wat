;; One block of a packed matrix product in WebAssembly SIMD, float32 (see ../gemm-wasm.ts):
;;
;;   C[mc × nc] (+)= A[mc × kc] · B[kc × nc]
;;
;; A packed in 4-row panels (panel i/4: element (i + r, p) at aOff + ((i/4)·kc + p)·16 + 4r),
;; B packed in 8-column panels (panel j/8: element (p, j + q) at bOff + ((j/8)·kc + p)·32 + 4q),
;; C row-major with row stride nc, at cOff. mc is a multiple of 4 and nc of 8 (the panels are
;; zero-padded). A 4×8 tile of the product is summed from zero in eight f32x4 registers by kc
;; rank-1 steps, t[r][q] += a[r]·b[q] (a multiply, then an add: no fused multiply-add, so every
;; run gives the same bits), then added to C's tile, c += t, with accumulate = 1, or stored,
;; c = t, with accumulate = 0. Built into gemm-binary.ts by scripts/build-wasm.mjs.
(module
  (import "env" "memory" (memory 1))
  (func $block (export "block")
    (param $mc i32) (param $nc i32) (param $kc i32) (param $aOff i32) (param $bOff i32) (param $cOff i32) (param $accumulate i32)
    (local $i i32) (local $j i32) (local $p i32) (local $pa i32) (local $pb i32) (local $ci i32)
    (local $ldcBytes i32) (local $panelA i32) (local $panelB i32)
    (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $ldcBytes (i32.shl (local.get $nc) (i32.const 2)))
    (local.set $panelA (i32.shl (local.get $kc) (i32.const 4))) ;; kc·4 floats
    (local.set $panelB (i32.shl (local.get $kc) (i32.const 5))) ;; kc·8 floats
    (local.set $j (i32.const 0))
    (block $jDone
      (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $nc)))
        (local.set $i (i32.const 0))
        (block $iDone
          (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $mc)))
            (local.set $pa (i32.add (local.get $aOff) (i32.mul (i32.shr_u (local.get $i) (i32.const 2)) (local.get $panelA))))
            (local.set $pb (i32.add (local.get $bOff) (i32.mul (i32.shr_u (local.get $j) (i32.const 3)) (local.get $panelB))))
        (local.set $c00 (v128.const i32x4 0 0 0 0))
        (local.set $c01 (v128.const i32x4 0 0 0 0))
        (local.set $c10 (v128.const i32x4 0 0 0 0))
        (local.set $c11 (v128.const i32x4 0 0 0 0))
        (local.set $c20 (v128.const i32x4 0 0 0 0))
        (local.set $c21 (v128.const i32x4 0 0 0 0))
        (local.set $c30 (v128.const i32x4 0 0 0 0))
        (local.set $c31 (v128.const i32x4 0 0 0 0))
            (local.set $p (i32.const 0))
            (block $pDone
              (loop $pLoop
                (br_if $pDone (i32.ge_u (local.get $p) (local.get $kc)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $b1 (v128.load offset=16 (local.get $pb)))
          (local.set $a (v128.load32_splat offset=0 (local.get $pa)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
          (local.set $a (v128.load32_splat offset=4 (local.get $pa)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
          (local.set $a (v128.load32_splat offset=8 (local.get $pa)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
          (local.set $a (v128.load32_splat offset=12 (local.get $pa)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
                (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
                (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $pLoop)))
            ;; C rows i..i+3, columns j..j+7: the tile added to them (accumulate), or stored
            (local.set $ci (i32.add (local.get $cOff) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $nc)) (local.get $j)) (i32.const 2))))
            (if (local.get $accumulate)
              (then
            (v128.store (local.get $ci) (f32x4.add (v128.load (local.get $ci)) (local.get $c00)))
            (v128.store offset=16 (local.get $ci) (f32x4.add (v128.load offset=16 (local.get $ci)) (local.get $c01)))
            (local.set $ci (i32.add (local.get $ci) (local.get $ldcBytes)))
            (v128.store (local.get $ci) (f32x4.add (v128.load (local.get $ci)) (local.get $c10)))
            (v128.store offset=16 (local.get $ci) (f32x4.add (v128.load offset=16 (local.get $ci)) (local.get $c11)))
            (local.set $ci (i32.add (local.get $ci) (local.get $ldcBytes)))
            (v128.store (local.get $ci) (f32x4.add (v128.load (local.get $ci)) (local.get $c20)))
            (v128.store offset=16 (local.get $ci) (f32x4.add (v128.load offset=16 (local.get $ci)) (local.get $c21)))
            (local.set $ci (i32.add (local.get $ci) (local.get $ldcBytes)))
            (v128.store (local.get $ci) (f32x4.add (v128.load (local.get $ci)) (local.get $c30)))
            (v128.store offset=16 (local.get $ci) (f32x4.add (v128.load offset=16 (local.get $ci)) (local.get $c31))))
              (else
            (v128.store (local.get $ci) (local.get $c00))
            (v128.store offset=16 (local.get $ci) (local.get $c01))
            (local.set $ci (i32.add (local.get $ci) (local.get $ldcBytes)))
            (v128.store (local.get $ci) (local.get $c10))
            (v128.store offset=16 (local.get $ci) (local.get $c11))
            (local.set $ci (i32.add (local.get $ci) (local.get $ldcBytes)))
            (v128.store (local.get $ci) (local.get $c20))
            (v128.store offset=16 (local.get $ci) (local.get $c21))
            (local.set $ci (i32.add (local.get $ci) (local.get $ldcBytes)))
            (v128.store (local.get $ci) (local.get $c30))
            (v128.store offset=16 (local.get $ci) (local.get $c31))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $iLoop)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $jLoop))))

  ;; Unpacked products for few rows of A (the tutorials' batch 1), on operands copied as they
  ;; are stored (row strides lda, ldb, ldc in floats; offsets in bytes), accumulating into C:
  ;;
  ;;   rowsAxpy:  C[m × n] += A[m × k] · B[k × n]    B as stored, k rows of n
  ;;   rowsDot:   C[m × n] += A[m × k] · Bᵀ          B stored as n rows of k
  ;;
  ;; rowsAxpy adds four rows of B at a time, c[j] += ((a0·b0[j] + a1·b1[j]) + a2·b2[j]) + a3·b3[j],
  ;; along C's row four columns per f32x4 (a scalar tail for the last n mod 4 columns), and skips
  ;; a group of four zeros in A (one-hot inputs). rowsDot sums a[p]·b[j, p] in four f32x4 lanes
  ;; (by p mod 4), adds the lanes as (0 + 1) + (2 + 3), then the scalar tail of the last k mod 4.
  (func $rowsAxpy (export "rowsAxpy")
    (param $m i32) (param $n i32) (param $k i32)
    (param $aOff i32) (param $lda i32) (param $bOff i32) (param $ldb i32) (param $cOff i32) (param $ldc i32)
    (local $i i32) (local $p i32) (local $j i32) (local $k4 i32) (local $n4 i32)
    (local $arow i32) (local $crow i32) (local $b0 i32) (local $ldbBytes i32)
    (local $a0 f32) (local $a1 f32) (local $a2 f32) (local $a3 f32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $cj i32) (local $bj i32)
    (local.set $k4 (i32.and (local.get $k) (i32.const -4)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $ldbBytes (i32.shl (local.get $ldb) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $iDone
      (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $arow (i32.add (local.get $aOff) (i32.shl (i32.mul (local.get $i) (local.get $lda)) (i32.const 2))))
        (local.set $crow (i32.add (local.get $cOff) (i32.shl (i32.mul (local.get $i) (local.get $ldc)) (i32.const 2))))
        ;; four rows of B at a time
        (local.set $p (i32.const 0))
        (block $pDone
          (loop $pLoop
            (br_if $pDone (i32.ge_u (local.get $p) (local.get $k4)))
            (local.set $a0 (f32.load (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2)))))
            (local.set $a1 (f32.load offset=4 (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2)))))
            (local.set $a2 (f32.load offset=8 (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2)))))
            (local.set $a3 (f32.load offset=12 (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2)))))
            (if (i32.eqz (i32.and (i32.and (f32.eq (local.get $a0) (f32.const 0)) (f32.eq (local.get $a1) (f32.const 0)))
                                  (i32.and (f32.eq (local.get $a2) (f32.const 0)) (f32.eq (local.get $a3) (f32.const 0)))))
              (then
                (local.set $v0 (f32x4.splat (local.get $a0)))
                (local.set $v1 (f32x4.splat (local.get $a1)))
                (local.set $v2 (f32x4.splat (local.get $a2)))
                (local.set $v3 (f32x4.splat (local.get $a3)))
                (local.set $b0 (i32.add (local.get $bOff) (i32.mul (local.get $p) (local.get $ldbBytes))))
                (local.set $j (i32.const 0))
                (block $jDone
                  (loop $jLoop
                    (br_if $jDone (i32.ge_u (local.get $j) (local.get $n4)))
                    (local.set $cj (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))))
                    (local.set $bj (i32.add (local.get $b0) (i32.shl (local.get $j) (i32.const 2))))
                    (v128.store (local.get $cj)
                      (f32x4.add (v128.load (local.get $cj))
                        (f32x4.add
                          (f32x4.add
                            (f32x4.add (f32x4.mul (local.get $v0) (v128.load (local.get $bj)))
                                       (f32x4.mul (local.get $v1) (v128.load (i32.add (local.get $bj) (local.get $ldbBytes)))))
                            (f32x4.mul (local.get $v2) (v128.load (i32.add (local.get $bj) (i32.shl (local.get $ldbBytes) (i32.const 1))))))
                          (f32x4.mul (local.get $v3) (v128.load (i32.add (local.get $bj) (i32.mul (local.get $ldbBytes) (i32.const 3))))))))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (br $jLoop)))
                (block $tDone
                  (loop $tLoop
                    (br_if $tDone (i32.ge_u (local.get $j) (local.get $n)))
                    (local.set $cj (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))))
                    (local.set $bj (i32.add (local.get $b0) (i32.shl (local.get $j) (i32.const 2))))
                    (f32.store (local.get $cj)
                      (f32.add (f32.load (local.get $cj))
                        (f32.add
                          (f32.add
                            (f32.add (f32.mul (local.get $a0) (f32.load (local.get $bj)))
                                     (f32.mul (local.get $a1) (f32.load (i32.add (local.get $bj) (local.get $ldbBytes)))))
                            (f32.mul (local.get $a2) (f32.load (i32.add (local.get $bj) (i32.shl (local.get $ldbBytes) (i32.const 1))))))
                          (f32.mul (local.get $a3) (f32.load (i32.add (local.get $bj) (i32.mul (local.get $ldbBytes) (i32.const 3))))))))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $tLoop)))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $pLoop)))
        ;; the last k mod 4 rows of B, one at a time
        (block $qDone
          (loop $qLoop
            (br_if $qDone (i32.ge_u (local.get $p) (local.get $k)))
            (local.set $a0 (f32.load (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2)))))
            (if (f32.ne (local.get $a0) (f32.const 0))
              (then
                (local.set $v0 (f32x4.splat (local.get $a0)))
                (local.set $b0 (i32.add (local.get $bOff) (i32.mul (local.get $p) (local.get $ldbBytes))))
                (local.set $j (i32.const 0))
                (block $jDone1
                  (loop $jLoop1
                    (br_if $jDone1 (i32.ge_u (local.get $j) (local.get $n4)))
                    (local.set $cj (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))))
                    (v128.store (local.get $cj)
                      (f32x4.add (v128.load (local.get $cj))
                        (f32x4.mul (local.get $v0) (v128.load (i32.add (local.get $b0) (i32.shl (local.get $j) (i32.const 2)))))))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (br $jLoop1)))
                (block $tDone1
                  (loop $tLoop1
                    (br_if $tDone1 (i32.ge_u (local.get $j) (local.get $n)))
                    (local.set $cj (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))))
                    (f32.store (local.get $cj)
                      (f32.add (f32.load (local.get $cj))
                        (f32.mul (local.get $a0) (f32.load (i32.add (local.get $b0) (i32.shl (local.get $j) (i32.const 2)))))))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $tLoop1)))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $qLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop))))

  (func $rowsDot (export "rowsDot")
    (param $m i32) (param $n i32) (param $k i32)
    (param $aOff i32) (param $lda i32) (param $bOff i32) (param $ldb i32) (param $cOff i32) (param $ldc i32)
    (local $i i32) (local $j i32) (local $p i32) (local $k4 i32)
    (local $arow i32) (local $brow i32) (local $cij i32) (local $acc v128) (local $sum f32)
    (local.set $k4 (i32.and (local.get $k) (i32.const -4)))
    (local.set $i (i32.const 0))
    (block $iDone
      (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $arow (i32.add (local.get $aOff) (i32.shl (i32.mul (local.get $i) (local.get $lda)) (i32.const 2))))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $brow (i32.add (local.get $bOff) (i32.shl (i32.mul (local.get $j) (local.get $ldb)) (i32.const 2))))
            (local.set $acc (v128.const i32x4 0 0 0 0))
            (local.set $p (i32.const 0))
            (block $pDone
              (loop $pLoop
                (br_if $pDone (i32.ge_u (local.get $p) (local.get $k4)))
                (local.set $acc (f32x4.add (local.get $acc)
                  (f32x4.mul (v128.load (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2))))
                             (v128.load (i32.add (local.get $brow) (i32.shl (local.get $p) (i32.const 2)))))))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (br $pLoop)))
            (local.set $sum (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
              (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
            (block $tDone
              (loop $tLoop
                (br_if $tDone (i32.ge_u (local.get $p) (local.get $k)))
                (local.set $sum (f32.add (local.get $sum)
                  (f32.mul (f32.load (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2))))
                           (f32.load (i32.add (local.get $brow) (i32.shl (local.get $p) (i32.const 2)))))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $tLoop)))
            (local.set $cij (i32.add (local.get $cOff) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $j)) (i32.const 2))))
            (f32.store (local.get $cij) (f32.add (f32.load (local.get $cij)) (local.get $sum)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop))))
)
