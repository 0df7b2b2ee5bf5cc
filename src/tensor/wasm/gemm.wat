;; One block of a packed matrix product in WebAssembly SIMD, float32 (see ../gemm-wasm.ts):
;;
;;   C[mc × nc] = A[mc × kc] · B[kc × nc]
;;
;; A packed in 4-row panels (panel i/4: element (i + r, p) at aOff + ((i/4)·kc + p)·16 + 4r),
;; B packed in 8-column panels (panel j/8: element (p, j + q) at bOff + ((j/8)·kc + p)·32 + 4q),
;; C written (not accumulated) row-major with row stride nc, at cOff. mc is a multiple of 4 and
;; nc of 8 (the panels are zero-padded). A 4×8 tile of C is held in eight f32x4 registers and
;; updated by kc rank-1 steps, c[r][q] += a[r]·b[q] (a multiply, then an add: no fused
;; multiply-add, so every run gives the same bits). Built into gemm-binary.ts by
;; scripts/build-wasm.mjs.
(module
  (import "env" "memory" (memory 1))
  (func $block (export "block")
    (param $mc i32) (param $nc i32) (param $kc i32) (param $aOff i32) (param $bOff i32) (param $cOff i32)
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
            ;; the tile to C rows i..i+3, columns j..j+7
            (local.set $ci (i32.add (local.get $cOff) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $nc)) (local.get $j)) (i32.const 2))))
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
        (v128.store offset=16 (local.get $ci) (local.get $c31))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $iLoop)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $jLoop))))
)
