"""The NumPy predictor's explanation of one answer: hidden activations and input × gradient."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.inference import Predictor, load_predictor

UP = [(10, 10), (10, 11), (11, 10)]  # pixels whose ink feeds the hidden unit positively
DOWN = [(20, 20), (20, 21)]  # pixels whose ink feeds it negatively


def hand_made(activation: str = "relu") -> Predictor:
    """784-1-10: one hidden unit that adds up the UP pixels minus the DOWN pixels, and pushes
    only the logit of 3, with a bias that keeps 3 on top."""
    kernel1 = np.zeros((784, 1), np.float32)
    for r, c in UP:
        kernel1[r * 28 + c, 0] = 1.0
    for r, c in DOWN:
        kernel1[r * 28 + c, 0] = -0.5
    kernel2 = np.zeros((1, 10), np.float32)
    kernel2[0, 3] = 2.0
    bias2 = np.zeros(10, np.float32)
    bias2[3] = 1.0
    return Predictor([(kernel1, np.zeros(1, np.float32)), (kernel2, bias2)], activation)


def image_with(pixels: list[tuple[int, int]], value: float = 1.0) -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    for r, c in pixels:
        image[r, c] = value
    image[0, 27] = 0.8  # ink where the network does not look
    return image


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_saliency_is_positive_where_ink_pushed_the_answer_up_and_negative_where_down(activation):
    predictor = hand_made(activation)
    image = image_with(UP + DOWN)
    explanation = predictor.explain(image)
    assert explanation.digit == 3
    saliency = explanation.saliency
    assert saliency.shape == (28, 28)
    assert all(saliency[p] > 0 for p in UP)
    assert all(saliency[p] < 0 for p in DOWN)
    mask = np.ones((28, 28), bool)
    for p in UP + DOWN:
        mask[p] = False
    assert not saliency[mask].any()  # ink the network ignores, and no ink, push nothing
    np.testing.assert_array_equal(predictor.saliency(image), saliency)


def test_a_relu_unit_that_does_not_fire_passes_no_gradient():
    predictor = hand_made("relu")
    image = image_with(DOWN)  # the hidden sum is negative: ReLU outputs 0
    explanation = predictor.explain(image, digit=3)
    assert explanation.hidden[0].tolist() == [0.0]
    assert not explanation.saliency.any()


def test_relu_saliency_is_exact_input_times_weight_path():
    # Linear where the unit fires: d logit_3 / d x = w1 * 2, so saliency = x * w1 * 2.
    image = image_with(UP + DOWN, value=0.5)
    saliency = hand_made("relu").saliency(image)
    assert saliency[UP[0]] == pytest.approx(0.5 * 1.0 * 2.0)
    assert saliency[DOWN[0]] == pytest.approx(0.5 * -0.5 * 2.0)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_gradient_matches_finite_differences_on_a_random_two_layer_net(activation):
    rng = np.random.default_rng(7)
    layers = [
        (rng.normal(0, 0.1, (784, 16)), rng.normal(0, 0.1, 16)),
        (rng.normal(0, 0.3, (16, 12)), rng.normal(0, 0.1, 12)),
        (rng.normal(0, 0.3, (12, 10)), rng.normal(0, 0.1, 10)),
    ]
    predictor = Predictor([(k.astype(np.float64), b) for k, b in layers], activation)
    image = rng.random((28, 28))
    explanation = predictor.explain(image)
    digit = explanation.digit
    x = image.ravel().astype(np.float64)
    pixels = rng.choice(784, 25, replace=False)
    step = 1e-3
    for i in pixels:
        up, down = x.copy(), x.copy()
        up[i] += step
        down[i] -= step
        numeric = (
            predictor.logits(up[None].astype(np.float32))[0, digit]
            - predictor.logits(down[None].astype(np.float32))[0, digit]
        ) / (2 * step)
        assert explanation.saliency.ravel()[i] == pytest.approx(x[i] * numeric, abs=2e-3)


def test_explain_agrees_with_the_forward_pass_on_the_default_model():
    predictor = load_predictor()
    image = np.zeros((28, 28), np.float32)
    image[5:23, 13:16] = 1.0  # a "1"
    explanation = predictor.explain(image)
    np.testing.assert_allclose(
        explanation.probabilities, predictor.predict_proba(image[None])[0], rtol=1e-5, atol=1e-7
    )
    hidden = predictor.hidden_activations(image[None])
    assert [h.shape for h in explanation.hidden] == [(800,), (800,)]
    for mine, theirs in zip(explanation.hidden, hidden, strict=True):
        np.testing.assert_allclose(mine, theirs[0], rtol=1e-5)
    assert explanation.digit == 1
    assert explanation.saliency[~(image > 0)].max() == 0  # nothing off the ink
    assert explanation.saliency.sum() > 0  # on the whole, the stroke says "1"
    with pytest.raises(ValueError):
        predictor.explain(np.zeros((2, 28, 28), np.float32))
