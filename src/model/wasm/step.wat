;; One whole training step of the tutorials' model, Sequential([LSTM, Dense]) on float32 batches,
;; in one call: the LSTM's forward (lstm.wat), the Dense layer's forward, the loss on its logits
;; with its gradient and the accuracy count, the Dense layer's backward and the LSTM's backward
;; (BPTT). The optimizer's update stays in JavaScript. Every operation is the one the layers
;; and the loss run in JavaScript, in the same order (dense.ts, elementwise.ts, the losses'
;; logits kernels, metrics.ts, sequential.ts' checks), so the same bits: test/model-step.test.ts
;; trains both ways and compares. src/model/fused-step.ts decides when it applies and lays out
;; the memory: the LSTM kernel's (an instance of lstm.wat on the same memory provides the
;; products and the LSTM's passes), with the Dense layer's regions after the LSTM's.
;;
;; The step reads a descriptor of i32 fields at byte offset $d (see fused-step.ts, DESCRIPTOR):
;; sizes, flags and the byte offsets of every region. It writes the loss (f64) and the number of
;; correct predictions (f64) into the results region and returns a status:
;;   0 done; 1 the loss is not finite; 2 the loss gradient is not; 3 a weight gradient is not
;;   (1 and 2 stop before any backward, as sequential.ts' trainStep does).
;;
;; Dense flags (field 5): 1 bias; 2 softmax + categorical cross-entropy (else sigmoid + binary
;; cross-entropy); 4 binary accuracy, 8 categorical accuracy; float32 SIMD products (as gemm.ts
;; chooses, passed in) for 16 z = x·W, 32 dW = xᵀ·dz, 64 dx = dz·Wᵀ.
;; Built into step-binary.ts by scripts/build-wasm.mjs.
(module
  (import "env" "memory" (memory 1))
  (import "lstm" "forward" (func $lstmForward (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "lstm" "backward" (func $lstmBackward (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "lstm" "product" (func $product (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "lstm" "addRows" (func $addRows (param i32 i32 i32 i32)))
  (import "lstm" "addRowVector" (func $addRowVector (param i32 i32 i32 i32)))
  (import "lstm" "transpose" (func $transpose (param i32 i32 i32 i32)))
  (import "math" "exp" (func $exp (param f64) (result f64)))
  (import "math" "log" (func $log (param f64) (result f64)))
  (import "math" "log1p" (func $log1p (param f64) (result f64)))

  (func (export "step") (param $d i32) (result i32)
    (local $T i32) (local $B i32) (local $I i32) (local $H i32) (local $U i32) (local $flags i32)
    (local $x i32) (local $n i32) (local $loss f64) (local $correct f64)
    (local.set $T (i32.load offset=0 (local.get $d)))
    (local.set $B (i32.load offset=4 (local.get $d)))
    (local.set $I (i32.load offset=8 (local.get $d)))
    (local.set $H (i32.load offset=12 (local.get $d)))
    (local.set $U (i32.load offset=16 (local.get $d)))
    (local.set $flags (i32.load offset=20 (local.get $d)))
    (local.set $n (i32.mul (local.get $B) (local.get $U))) ;; elements of the Dense output, [B, U]

    ;; LSTM forward: fills gates, hs, cs, actC; its output h_T is slot T of hs, [B, H]
    (call $lstmForward (local.get $T) (local.get $B) (local.get $I) (local.get $H) (i32.load offset=24 (local.get $d))
      (i32.load offset=32 (local.get $d)) (i32.load offset=36 (local.get $d)) (i32.load offset=40 (local.get $d))
      (i32.load offset=44 (local.get $d)) (i32.load offset=48 (local.get $d)) (i32.load offset=52 (local.get $d))
      (i32.load offset=56 (local.get $d)) (i32.load offset=60 (local.get $d)))
    (local.set $x (i32.add (i32.load offset=52 (local.get $d)) (i32.shl (i32.mul (i32.mul (local.get $T) (local.get $B)) (local.get $H)) (i32.const 2))))

    ;; Dense forward: z = x·W (+ b), y = act(z)
    (memory.fill (i32.load offset=112 (local.get $d)) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))
    (call $product (i32.and (local.get $flags) (i32.const 16)) (i32.const 0) (local.get $B) (local.get $U) (local.get $H)
      (local.get $x) (local.get $H) (i32.load offset=104 (local.get $d)) (local.get $U) (i32.load offset=112 (local.get $d)) (local.get $U))
    (if (i32.and (local.get $flags) (i32.const 1))
      (then (call $addRowVector (i32.load offset=112 (local.get $d)) (i32.load offset=108 (local.get $d)) (local.get $B) (local.get $U))))
    (if (i32.and (local.get $flags) (i32.const 2))
      (then (call $softmaxRows (i32.load offset=112 (local.get $d)) (i32.load offset=116 (local.get $d)) (local.get $B) (local.get $U)))
      (else (call $sigmoidAll (i32.load offset=112 (local.get $d)) (i32.load offset=116 (local.get $d)) (local.get $n))))

    ;; the loss and dL/dz, on the logits; the accuracy on y
    (local.set $loss (if (result f64) (i32.and (local.get $flags) (i32.const 2))
      (then (call $softmaxCrossentropy (i32.load offset=112 (local.get $d)) (i32.load offset=136 (local.get $d)) (i32.load offset=120 (local.get $d)) (local.get $B) (local.get $U)))
      (else (call $sigmoidCrossentropy (i32.load offset=112 (local.get $d)) (i32.load offset=136 (local.get $d)) (i32.load offset=120 (local.get $d)) (local.get $n)))))
    (if (i32.and (local.get $flags) (i32.const 4))
      (then (local.set $correct (call $binaryCorrect (i32.load offset=116 (local.get $d)) (i32.load offset=136 (local.get $d)) (local.get $n)))))
    (if (i32.and (local.get $flags) (i32.const 8))
      (then (local.set $correct (call $categoricalCorrect (i32.load offset=116 (local.get $d)) (i32.load offset=136 (local.get $d)) (local.get $B) (local.get $U)))))
    (f64.store offset=0 (i32.load offset=144 (local.get $d)) (local.get $loss))
    (f64.store offset=8 (i32.load offset=144 (local.get $d)) (local.get $correct))
    ;; a finite loss and gradient, or no backward at all (loss·0 is NaN exactly when the loss is ±∞ or NaN)
    (if (f64.ne (f64.mul (local.get $loss) (f64.const 0)) (f64.const 0)) (then (return (i32.const 1))))
    (if (i32.eqz (call $finite (i32.load offset=120 (local.get $d)) (local.get $n))) (then (return (i32.const 2))))

    ;; Dense backward from dz: dW = xᵀ·dz (xᵀ transposed into scratch first), db = Σ rows dz
    (call $transpose (local.get $B) (local.get $H) (local.get $x) (i32.load offset=140 (local.get $d)))
    (memory.fill (i32.load offset=124 (local.get $d)) (i32.const 0) (i32.shl (i32.mul (local.get $H) (local.get $U)) (i32.const 2)))
    (call $product (i32.and (local.get $flags) (i32.const 32)) (i32.const 0) (local.get $H) (local.get $U) (local.get $B)
      (i32.load offset=140 (local.get $d)) (local.get $B) (i32.load offset=120 (local.get $d)) (local.get $U) (i32.load offset=124 (local.get $d)) (local.get $U))
    (if (i32.and (local.get $flags) (i32.const 1))
      (then
        (memory.fill (i32.load offset=128 (local.get $d)) (i32.const 0) (i32.shl (local.get $U) (i32.const 2)))
        (call $addRows (i32.load offset=120 (local.get $d)) (i32.load offset=128 (local.get $d)) (local.get $B) (local.get $U))))
    ;; dx = dz·Wᵀ, straight into the LSTM's dh (dL/dh_T, where its backward starts); dc = 0
    (memory.fill (i32.load offset=92 (local.get $d)) (i32.const 0) (i32.shl (i32.mul (local.get $B) (local.get $H)) (i32.const 2)))
    (call $product (i32.and (local.get $flags) (i32.const 64)) (i32.const 1) (local.get $B) (local.get $H) (local.get $U)
      (i32.load offset=120 (local.get $d)) (local.get $U) (i32.load offset=104 (local.get $d)) (local.get $U) (i32.load offset=92 (local.get $d)) (local.get $H))
    (memory.fill (i32.load offset=96 (local.get $d)) (i32.const 0) (i32.shl (i32.mul (local.get $B) (local.get $H)) (i32.const 2)))

    ;; LSTM backward (the model's first layer: no dx)
    (call $lstmBackward (local.get $T) (local.get $B) (local.get $I) (local.get $H) (i32.load offset=28 (local.get $d))
      (i32.load offset=32 (local.get $d)) (i32.load offset=36 (local.get $d))
      (i32.load offset=44 (local.get $d)) (i32.load offset=48 (local.get $d)) (i32.load offset=52 (local.get $d))
      (i32.load offset=56 (local.get $d)) (i32.load offset=60 (local.get $d)) (i32.load offset=64 (local.get $d))
      (i32.load offset=68 (local.get $d)) (i32.load offset=92 (local.get $d)) (i32.load offset=96 (local.get $d))
      (i32.load offset=72 (local.get $d)) (i32.load offset=76 (local.get $d)) (i32.load offset=80 (local.get $d))
      (i32.load offset=84 (local.get $d)) (i32.load offset=88 (local.get $d)))

    ;; every weight gradient finite (in one pass over each)
    (if (i32.eqz (i32.and (i32.and
          (call $finite (i32.load offset=72 (local.get $d)) (i32.mul (local.get $I) (i32.shl (local.get $H) (i32.const 2))))
          (call $finite (i32.load offset=76 (local.get $d)) (i32.mul (local.get $H) (i32.shl (local.get $H) (i32.const 2)))))
        (i32.and (i32.and
          (call $finite (i32.load offset=80 (local.get $d)) (i32.shl (local.get $H) (i32.const 2)))
          (call $finite (i32.load offset=124 (local.get $d)) (i32.mul (local.get $H) (local.get $U))))
          (call $finite (i32.load offset=128 (local.get $d)) (local.get $U)))))
      (then (return (i32.const 3))))
    (i32.const 0))

  ;; y = σ(z) elementwise, as elementwise.ts' sigmoid: two branches, so that e^-x never overflows.
  (func $sigmoidAll (param $z i32) (param $y i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $z) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $z) (local.get $end)))
        (f32.store (local.get $y) (f32.demote_f64 (call $sigmoid (f64.promote_f32 (f32.load (local.get $z))))))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (br $each))))
  (func $sigmoid (param $x f64) (result f64)
    (local $e f64)
    (if (f64.ge (local.get $x) (f64.const 0))
      (then (return (f64.div (f64.const 1) (f64.add (f64.const 1) (call $exp (f64.neg (local.get $x))))))))
    (local.set $e (call $exp (local.get $x)))
    (f64.div (local.get $e) (f64.add (f64.const 1) (local.get $e))))

  ;; y = softmax of each row of z, as elementwise.ts' softmaxRows: e = exp(z - max) stored, the sum
  ;; of the unrounded e, then every stored e times 1/sum.
  (func $softmaxRows (param $z i32) (param $y i32) (param $rows i32) (param $width i32)
    (local $r i32) (local $j i32) (local $max f64) (local $sum f64) (local $e f64) (local $inv f64)
    (block $rDone
      (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $max (f64.const -inf))
        (local.set $j (i32.const 0))
        (block $d1 (loop $l1
          (br_if $d1 (i32.ge_u (local.get $j) (local.get $width)))
          (if (f64.gt (call $at (local.get $z) (local.get $j)) (local.get $max)) (then (local.set $max (call $at (local.get $z) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $l1)))
        (local.set $sum (f64.const 0))
        (local.set $j (i32.const 0))
        (block $d2 (loop $l2
          (br_if $d2 (i32.ge_u (local.get $j) (local.get $width)))
          (local.set $e (call $exp (f64.sub (call $at (local.get $z) (local.get $j)) (local.get $max))))
          (call $put (local.get $y) (local.get $j) (local.get $e))
          (local.set $sum (f64.add (local.get $sum) (local.get $e)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $l2)))
        (local.set $inv (f64.div (f64.const 1) (local.get $sum)))
        (local.set $j (i32.const 0))
        (block $d3 (loop $l3
          (br_if $d3 (i32.ge_u (local.get $j) (local.get $width)))
          (call $put (local.get $y) (local.get $j) (f64.mul (call $at (local.get $y) (local.get $j)) (local.get $inv)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $l3)))
        (local.set $z (i32.add (local.get $z) (i32.shl (local.get $width) (i32.const 2))))
        (local.set $y (i32.add (local.get $y) (i32.shl (local.get $width) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop))))

  ;; Sigmoid + binary cross-entropy on logits (binary-crossentropy.ts, logitsKernel) over n elements:
  ;; ℓ = max(z, 0) - z t + log(1 + e^-|z|); dL/dz = (σ(z) - t) / n; returns the mean loss.
  (func $sigmoidCrossentropy (param $z i32) (param $t i32) (param $grad i32) (param $n i32) (result f64)
    (local $i i32) (local $invN f64) (local $total f64) (local $zi f64) (local $ti f64)
    (local.set $invN (f64.div (f64.const 1) (f64.convert_i32_u (local.get $n))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $zi (call $at (local.get $z) (local.get $i)))
        (local.set $ti (call $at (local.get $t) (local.get $i)))
        (local.set $total (f64.add (local.get $total)
          (f64.add (f64.sub (select (local.get $zi) (f64.const 0) (f64.gt (local.get $zi) (f64.const 0))) (f64.mul (local.get $zi) (local.get $ti)))
            (call $log1p (call $exp (f64.neg (f64.abs (local.get $zi))))))))
        (call $put (local.get $grad) (local.get $i) (f64.mul (f64.sub (call $sigmoid (local.get $zi)) (local.get $ti)) (local.get $invN)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (f64.mul (local.get $total) (local.get $invN)))

  ;; Softmax + categorical cross-entropy on logits (categorical-crossentropy.ts, logitsKernel), rows
  ;; of width: lse = max + log Σ e^(z - max); ℓ = Σ t (lse - z); dL/dz = (softmax·Σt - t) / rows.
  (func $softmaxCrossentropy (param $z i32) (param $t i32) (param $grad i32) (param $rows i32) (param $width i32) (result f64)
    (local $r i32) (local $j i32) (local $invRows f64) (local $total f64) (local $max f64) (local $expSum f64) (local $tSum f64)
    (local $lse f64) (local $rowLoss f64)
    (local.set $invRows (f64.div (f64.const 1) (f64.convert_i32_u (local.get $rows))))
    (block $rDone
      (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $max (f64.const -inf))
        (local.set $j (i32.const 0))
        (block $d1 (loop $l1
          (br_if $d1 (i32.ge_u (local.get $j) (local.get $width)))
          (if (f64.gt (call $at (local.get $z) (local.get $j)) (local.get $max)) (then (local.set $max (call $at (local.get $z) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $l1)))
        (local.set $expSum (f64.const 0))
        (local.set $tSum (f64.const 0))
        (local.set $j (i32.const 0))
        (block $d2 (loop $l2
          (br_if $d2 (i32.ge_u (local.get $j) (local.get $width)))
          (local.set $expSum (f64.add (local.get $expSum) (call $exp (f64.sub (call $at (local.get $z) (local.get $j)) (local.get $max)))))
          (local.set $tSum (f64.add (local.get $tSum) (call $at (local.get $t) (local.get $j))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $l2)))
        (local.set $lse (f64.add (local.get $max) (call $log (local.get $expSum))))
        (local.set $rowLoss (f64.const 0))
        (local.set $j (i32.const 0))
        (block $d3 (loop $l3
          (br_if $d3 (i32.ge_u (local.get $j) (local.get $width)))
          (local.set $rowLoss (f64.add (local.get $rowLoss) (f64.mul (call $at (local.get $t) (local.get $j)) (f64.sub (local.get $lse) (call $at (local.get $z) (local.get $j))))))
          (call $put (local.get $grad) (local.get $j)
            (f64.mul (f64.sub (f64.mul (f64.div (call $exp (f64.sub (call $at (local.get $z) (local.get $j)) (local.get $max))) (local.get $expSum)) (local.get $tSum))
              (call $at (local.get $t) (local.get $j))) (local.get $invRows)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $l3)))
        (local.set $total (f64.add (local.get $total) (local.get $rowLoss)))
        (local.set $z (i32.add (local.get $z) (i32.shl (local.get $width) (i32.const 2))))
        (local.set $t (i32.add (local.get $t) (i32.shl (local.get $width) (i32.const 2))))
        (local.set $grad (i32.add (local.get $grad) (i32.shl (local.get $width) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop)))
    (f64.mul (local.get $total) (local.get $invRows)))

  ;; metrics.ts' binary accuracy: how many of n elements have (p > 0.5 ? 1 : 0) = t.
  (func $binaryCorrect (param $p i32) (param $t i32) (param $n i32) (result f64)
    (local $i i32) (local $count i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $count (i32.add (local.get $count)
          (f64.eq (f64.convert_i32_u (f64.gt (call $at (local.get $p) (local.get $i)) (f64.const 0.5))) (call $at (local.get $t) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (f64.convert_i32_u (local.get $count)))

  ;; metrics.ts' categorical accuracy: how many rows have the same argmax (first maximum) in p and t.
  (func $categoricalCorrect (param $p i32) (param $t i32) (param $rows i32) (param $width i32) (result f64)
    (local $r i32) (local $count i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $count (i32.add (local.get $count) (i32.eq (call $argmax (local.get $p) (local.get $width)) (call $argmax (local.get $t) (local.get $width)))))
        (local.set $p (i32.add (local.get $p) (i32.shl (local.get $width) (i32.const 2))))
        (local.set $t (i32.add (local.get $t) (i32.shl (local.get $width) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $each)))
    (f64.convert_i32_u (local.get $count)))
  (func $argmax (param $row i32) (param $width i32) (result i32)
    (local $j i32) (local $best i32)
    (local.set $j (i32.const 1))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $j) (local.get $width)))
        (if (f64.gt (call $at (local.get $row) (local.get $j)) (call $at (local.get $row) (local.get $best))) (then (local.set $best (local.get $j))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $each)))
    (local.get $best))

  ;; 1 when all n float32s at p are finite (tensor.ts' firstNonFinite: Σ x·0 is 0 unless some x is
  ;; ±∞ or NaN), four at a time, then the rest one by one.
  (func $finite (param $p i32) (param $n i32) (result i32)
    (local $sum v128) (local $end i32) (local $vecEnd i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vecEnd (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $p) (local.get $vecEnd)))
        (local.set $sum (f32x4.add (local.get $sum) (f32x4.mul (v128.load (local.get $p)) (f32x4.splat (f32.const 0)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $each)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $sum (f32x4.add (local.get $sum) (f32x4.splat (f32.mul (f32.load (local.get $p)) (f32.const 0)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))
    (i32x4.all_true (f32x4.eq (local.get $sum) (f32x4.splat (f32.const 0)))))

  ;; Element i of a float32 array, as a float64; and a float64 rounded into element i.
  (func $at (param $p i32) (param $i i32) (result f64)
    (f64.promote_f32 (f32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))))
  (func $put (param $p i32) (param $i i32) (param $v f64)
    (f32.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))) (f32.demote_f64 (local.get $v))))
)
