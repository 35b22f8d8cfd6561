"""The tutorial's training loop as its readers run it: `python tutorial_eager_loop.py EPOCHS`.

An eager GradientTape step per epoch on plain variables, printing the
tutorial's line every epoch (as the framework's default verbose=2 does).
"""

import sys

import tensorflow as tf

epochs = int(sys.argv[1])
x = tf.random.stateless_normal([1000, 1], seed=[1, 2])
y = x * 3.0 + 2.0 + tf.random.stateless_normal([1000, 1], seed=[3, 4])
w, b = tf.Variable(5.0), tf.Variable(0.0)
for epoch in range(epochs):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(y - (x * w + b)))
    dw, db = tape.gradient(loss, [w, b])
    print(f"Epoch {epoch:2d}: W={w.numpy():1.2f} b={b.numpy():1.2f}, loss={loss.numpy():2.5f}")
    w.assign_sub(0.1 * dw)
    b.assign_sub(0.1 * db)
