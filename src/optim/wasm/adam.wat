;; Adam's update (Keras 2 form, see ../adam.ts) on float32 arrays, four elements per instruction
;; with WebAssembly SIMD. Everything is float32 arithmetic in exactly the order of adam.ts'
;; float32 loop (`adamFloat32`), with no fused multiply-add, so the two give the same bits:
;;
;;   m ← β1·m + c1·g             c1 = 1 - β1
;;   v ← β2·v + (c2·g)·g         c2 = 1 - β2
;;   w ← w - (lr_t·m) / (sqrt(v) + ε)
;;
;; adam(w, g, m, v, n, lrT, b1, c1, b2, c2, eps): w, g, m, v are byte offsets of n float32s in the
;; imported memory; w, m, v are updated in place. Built into adam-binary.ts by scripts/build-wasm.mjs.
(module
  (import "env" "memory" (memory 1))
  (func $adam (export "adam")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $lr f32) (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32) (param $eps f32)
    (local $i i32) (local $vecEnd i32) (local $end i32)
    (local $LR v128) (local $B1 v128) (local $C1 v128) (local $B2 v128) (local $C2 v128) (local $EPS v128)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $LR (f32x4.splat (local.get $lr)))
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $C1 (f32x4.splat (local.get $c1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $C2 (f32x4.splat (local.get $c2)))
    (local.set $EPS (f32x4.splat (local.get $eps)))
    ;; byte ends: of the whole groups of four, and of all n
    (local.set $vecEnd (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $vectorDone
      (loop $vector
        (br_if $vectorDone (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $i))))
        ;; m ← β1·m + c1·g
        (local.set $mv (f32x4.add
          (f32x4.mul (local.get $B1) (v128.load (i32.add (local.get $m) (local.get $i))))
          (f32x4.mul (local.get $C1) (local.get $gv))))
        (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $mv))
        ;; v ← β2·v + (c2·g)·g
        (local.set $vv (f32x4.add
          (f32x4.mul (local.get $B2) (v128.load (i32.add (local.get $v) (local.get $i))))
          (f32x4.mul (f32x4.mul (local.get $C2) (local.get $gv)) (local.get $gv))))
        (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $vv))
        ;; w ← w - (lr_t·m) / (sqrt(v) + ε)
        (v128.store (i32.add (local.get $w) (local.get $i))
          (f32x4.sub
            (v128.load (i32.add (local.get $w) (local.get $i)))
            (f32x4.div
              (f32x4.mul (local.get $LR) (local.get $mv))
              (f32x4.add (f32x4.sqrt (local.get $vv)) (local.get $EPS)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vector)))
    ;; the last n mod 4 elements, one at a time, the same operations
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $i))))
        (local.set $ms (f32.add
          (f32.mul (local.get $b1) (f32.load (i32.add (local.get $m) (local.get $i))))
          (f32.mul (local.get $c1) (local.get $gs))))
        (f32.store (i32.add (local.get $m) (local.get $i)) (local.get $ms))
        (local.set $vs (f32.add
          (f32.mul (local.get $b2) (f32.load (i32.add (local.get $v) (local.get $i))))
          (f32.mul (f32.mul (local.get $c2) (local.get $gs)) (local.get $gs))))
        (f32.store (i32.add (local.get $v) (local.get $i)) (local.get $vs))
        (f32.store (i32.add (local.get $w) (local.get $i))
          (f32.sub
            (f32.load (i32.add (local.get $w) (local.get $i)))
            (f32.div
              (f32.mul (local.get $lr) (local.get $ms))
              (f32.add (f32.sqrt (local.get $vs)) (local.get $eps)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail))))
)
