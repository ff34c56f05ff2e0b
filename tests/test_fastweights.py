import pytest
import torch

from eqlib.data import VOCABULARY, RetrievalBatches, decode, encode, parse_query, retrieval_batch, sequence_length
from eqlib.models import RetrievalNet
from eqlib.nn import (
    FastWeightLSTMCell,
    FastWeightRNNCell,
    LayerNormLSTMCell,
    attention_scores,
    fast_weight_attention,
    fast_weight_update,
    memory_matrix,
)

GEN = torch.Generator().manual_seed(0)


# --- the task ---------------------------------------------------------------------------


@pytest.mark.parametrize("pairs", [1, 4, 8, 26])
def test_retrieval_answers_are_right_by_construction(pairs):
    tokens, targets = retrieval_batch(200, pairs, seed=3)
    assert tokens.shape == (200, sequence_length(pairs)) == (200, 2 * pairs + 3)
    for row, target in zip(tokens, targets):
        text = decode(row)
        keys, values, query = text[0:-3:2], text[1:-3:2], text[-1]
        assert text[-3:-1] == "??" and len(set(keys)) == pairs and keys.isalpha() and values.isdigit()
        assert int(values[keys.index(query)]) == int(target)
        assert parse_query(text)[1] == int(target)


def test_retrieval_is_deterministic_per_seed_and_varies_across_seeds():
    a, b, c = retrieval_batch(50, 8, seed=1), retrieval_batch(50, 8, seed=1), retrieval_batch(50, 8, seed=2)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_retrieval_queries_every_position():
    tokens, _ = retrieval_batch(2000, 4, seed=0)
    asked = [decode(r)[0:-3:2].index(decode(r)[-1]) for r in tokens]
    assert sorted(set(asked)) == [0, 1, 2, 3]


def test_retrieval_batches_are_a_reproducible_stream():
    stream = RetrievalBatches(pairs=3, batch_size=4, steps=5, seed=7)
    first, again, other = list(stream(0)), list(stream(0)), list(stream(1))
    assert len(stream) == 5 == len(first) and first[0][0].shape == (4, 9)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(first, again))
    assert not torch.equal(first[0][0], other[0][0])
    assert not torch.equal(first[0][0], first[1][0])  # fresh data at every step


def test_encode_decode_round_trip_and_vocabulary():
    assert len(VOCABULARY) == 37
    assert decode(encode("c9k8j3f1??f")) == "c9k8j3f1??f"
    assert parse_query("c9k8j3f1??f")[1] == 1 and parse_query("c9k8??z")[1] is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: retrieval_batch(4, 0), "pairs"),
        (lambda: retrieval_batch(4, 27), "pairs"),
        (lambda: retrieval_batch(0, 4), "positive"),
        (lambda: retrieval_batch(4, 4, seed=1, generator=torch.Generator()), "either"),
        (lambda: encode("aB"), "lowercase"),
        (lambda: parse_query("c9k8j3f1?f"), "pairs"),
        (lambda: parse_query("c9c8??c"), "distinct"),
        (lambda: parse_query("99k8??k"), "letters"),
        (lambda: decode(torch.zeros(2, 3, dtype=torch.long)), "one sequence"),
        (lambda: RetrievalBatches(4, 8, steps=0), "steps"),
    ],
)
def test_task_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- the memory -------------------------------------------------------------------------


def test_fast_weight_recurrence_equals_its_unrolled_attention_form():
    decay, rate, batch, steps, size = 0.9, 0.4, 3, 7, 5
    hs = torch.randn(batch, steps, size, generator=GEN, dtype=torch.float64)
    query = torch.randn(batch, size, generator=GEN, dtype=torch.float64)
    memory = torch.zeros(batch, size, size, dtype=torch.float64)
    for t in range(steps):
        memory = fast_weight_update(memory, hs[:, t], decay, rate)
    by_matrix = torch.bmm(memory, query.unsqueeze(2)).squeeze(2)
    by_loop = sum(
        rate * decay ** (steps - 1 - t) * (hs[:, t] * query).sum(1, keepdim=True) * hs[:, t] for t in range(steps)
    )
    torch.testing.assert_close(fast_weight_attention(hs, query, decay, rate), by_matrix)
    torch.testing.assert_close(by_loop, by_matrix)
    torch.testing.assert_close(memory_matrix(hs, decay, rate), memory)


def test_fast_weight_memory_is_per_sequence_and_symmetric():
    h = torch.randn(4, 6, generator=GEN)
    memory = fast_weight_update(torch.zeros(4, 6, 6), h, 0.95, 0.5)
    torch.testing.assert_close(memory, memory.transpose(1, 2))
    torch.testing.assert_close(memory[2], 0.5 * torch.outer(h[2], h[2]))


def test_fw_lstm_without_memory_writes_is_exactly_the_lstm():
    torch.manual_seed(0)
    fw = FastWeightLSTMCell(3, 5, rate=0.0, inner_steps=2)
    lstm = FastWeightLSTMCell(3, 5, memory=False)
    lstm.load_state_dict(fw.state_dict())
    s_fw, s_lstm = fw.initial_state(4), lstm.initial_state(4)
    for _ in range(6):
        x = torch.randn(4, 3, generator=GEN)
        s_fw, s_lstm = fw(x, s_fw), lstm(x, s_lstm)
    torch.testing.assert_close(s_fw["h"], s_lstm["h"])
    assert "memory" not in s_lstm


def test_fw_rnn_cell_reads_its_memory_in_the_inner_loop():
    torch.manual_seed(0)
    cell = FastWeightRNNCell(3, 5, decay=0.5, rate=1.0, inner_steps=1)
    x = torch.randn(2, 3, generator=GEN)
    state = cell.initial_state(2)
    state["h"] = torch.rand(2, 5, generator=GEN)
    state["past"] = torch.rand(2, 3, 5, generator=GEN)
    memory = memory_matrix(state["past"], 0.5, 1.0)
    drive = cell.slow(state["h"]) + cell.input(x)
    h0 = torch.relu(drive)
    expected = torch.relu(cell.norm(drive + torch.bmm(memory, h0.unsqueeze(2)).squeeze(2)))
    out = cell(x, state)
    torch.testing.assert_close(out["h"], expected)
    written = fast_weight_update(memory, expected, 0.5, 1.0)
    torch.testing.assert_close(memory_matrix(out["past"], 0.5, 1.0), written)


@pytest.mark.parametrize("cell", ["fw_rnn", "fw_lstm"])
def test_final_read_scores_are_the_weights_of_the_last_memory_read(cell):
    torch.manual_seed(0)
    net = RetrievalNet(cell, hidden_size=6, embed_size=4).eval()
    tokens, _ = retrieval_batch(3, 4, seed=1)
    scores = net.final_read_scores(tokens)
    assert scores.shape == (3, tokens.shape[1] - 1)
    before = net.run(tokens[:, :-1])[-1]
    query = net.cell.first_query(net.embed(tokens[:, -1]), before)
    read = torch.bmm(memory_matrix(before["past"], net.cell.decay, net.cell.rate), query.unsqueeze(2)).squeeze(2)
    torch.testing.assert_close(torch.einsum("bt,bth->bh", scores, before["past"]), read)
    torch.testing.assert_close(attention_scores(before["past"], query, net.cell.decay, net.cell.rate), scores)
    with pytest.raises(ValueError, match="no fast-weight memory"):
        RetrievalNet("lstm", 4, 4).final_read_scores(tokens)


@pytest.mark.parametrize("pairs", [1, 4])
def test_recency_weights_at_the_query_key_are_pinned(pairs):
    """At the query key (position L - 1) the memory holds the L - 1 = 2K + 2 earlier states; the newest (the second
    '?') has weight eta, the first key eta lambda^(2K+1) and its value eta lambda^(2K)."""
    decay, rate = 0.9, 0.5
    torch.manual_seed(0)
    net = RetrievalNet("fw_lstm", hidden_size=6, embed_size=4, decay=decay, rate=rate).eval()
    tokens, _ = retrieval_batch(2, pairs, seed=3)
    before = net.run(tokens[:, :-1])[-1]
    query = net.cell.first_query(net.embed(tokens[:, -1]), before)
    weights = net.final_read_scores(tokens) / torch.einsum("bth,bh->bt", before["past"], query)
    length = tokens.shape[1]
    expected = rate * decay ** torch.arange(length - 2, -1, -1, dtype=weights.dtype)  # lambda^(L - 2 - tau)
    torch.testing.assert_close(weights, expected.expand_as(weights))
    assert weights[0, 0].item() == pytest.approx(rate * decay ** (2 * pairs + 1))  # the first key
    assert weights[0, 1].item() == pytest.approx(rate * decay ** (2 * pairs))  # its value
    ones = torch.ones(1, 3, 1)
    torch.testing.assert_close(
        attention_scores(ones, torch.ones(1, 1), decay, rate)[0], rate * torch.tensor([decay**2, decay, 1.0])
    )


def test_ln_lstm_normalises_the_input_and_recurrent_parts_separately_and_the_cell():
    torch.manual_seed(0)
    cell = LayerNormLSTMCell(3, 5)
    x = torch.randn(4, 3)
    state = {"h": torch.randn(4, 5), "c": torch.randn(4, 5)}
    out = cell(x, state)
    assert out["h"].shape == out["c"].shape == (4, 5)
    with torch.no_grad():  # layer norm makes each part blind to the scale of its own weights
        cell.input.weight.mul_(7.0)
        cell.recurrent.weight.mul_(3.0)
    scaled = cell(x, state)
    torch.testing.assert_close(scaled["h"], out["h"], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(scaled["c"], out["c"], rtol=1e-4, atol=1e-5)
    # the equations written out: gates f, i, o, g from two normalised parts and a bias; h from the normalised cell
    drive = cell.recurrent_norm(cell.recurrent(state["h"])) + cell.input_norm(cell.input(x)) + cell.bias
    f, i, o, g = drive.chunk(4, dim=1)
    c = torch.sigmoid(f) * state["c"] + torch.sigmoid(i) * torch.tanh(g)
    torch.testing.assert_close(scaled["c"], c)
    torch.testing.assert_close(scaled["h"], torch.sigmoid(o) * torch.tanh(cell.cell_norm(c)))
    assert torch.all(cell.bias[:5] == 1.0)  # the forget gate starts open
    with pytest.raises(ValueError, match="sizes must be positive"):
        LayerNormLSTMCell(0, 5)


@pytest.mark.parametrize("cell", ["lstm", "ln_lstm", "fw_rnn", "fw_lstm"])
def test_retrieval_net_shapes_and_batch_independence(cell):
    torch.manual_seed(0)
    net = RetrievalNet(cell, hidden_size=8, embed_size=4).eval()
    tokens, _ = retrieval_batch(5, 3, seed=0)
    logits = net(tokens)
    assert logits.shape == (5, 10)
    torch.testing.assert_close(net(tokens[2:3]), logits[2:3])  # no leakage across the batch
    states = net.run(tokens)
    assert len(states) == tokens.shape[1] and states[-1]["h"].shape == (5, 8)
    if cell.startswith("fw_"):
        assert states[-1]["past"].shape == (5, tokens.shape[1], 8)
    logits.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: RetrievalNet("gru"), "cell must be"),
        (lambda: RetrievalNet("lstm", hidden_size=0), "positive"),
        (lambda: FastWeightRNNCell(3, 4, decay=1.5), "decay"),
        (lambda: FastWeightLSTMCell(3, 4, rate=-1.0), "rate"),
        (lambda: FastWeightLSTMCell(3, 4, inner_steps=0), "inner_steps"),
        (lambda: RetrievalNet("lstm", 4, 4)(torch.zeros(2, 3)), "int64"),
        (lambda: RetrievalNet("lstm", 4, 4)(torch.full((1, 3), 40)), "token ids"),
        (lambda: fast_weight_attention(torch.zeros(2, 3), torch.zeros(2, 3), 0.9, 0.5), "expected past"),
        (lambda: memory_matrix(torch.zeros(2, 3), 0.9, 0.5), "expected past"),
    ],
)
def test_fast_weight_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()
