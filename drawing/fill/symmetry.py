"""The symmetry of a spec tile: where its specimen's axes cross, and which of its regions are mirror images.

Regions that are mirror images of each other (about the vertical axis, the horizontal axis or both)
are matched by overlap, so a hand-drawn asymmetry of a few pixels does not split a pair. The axes are
those of the specimen's bounding box; the specimen is everything but the paper around it (the regions
touching the tile's border).
"""
import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

# Two regions are mirror images when the mirrored one covers the other with intersection over union
# above this. Above 0.5 a region can have at most one partner per mirror, so groups never chain by accident.
MIRROR_MATCH_IOU = 0.5


def border_labels(labels):
    """The regions touching the border: for a spec tile, the paper around the specimen."""
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    return np.unique(border[border > 0])


def specimen_bounds(labels, outside):
    """(top + bottom, left + right) of the specimen's bounding box: twice its centre, where its axes cross.

    The specimen is everything but the `outside` regions; a tile with none has its centre in the middle.
    """
    specimen = ~np.isin(labels, outside)
    rows = np.flatnonzero(specimen.any(axis=1))
    columns = np.flatnonzero(specimen.any(axis=0))
    if rows.size == 0:
        return labels.shape[0] - 1, labels.shape[1] - 1
    return rows[0] + rows[-1], columns[0] + columns[-1]


def mirror(labels, axis, twice_centre):
    """The labels mirrored about the line at `twice_centre / 2` along `axis`; what falls outside is 0."""
    length = labels.shape[axis]
    source = twice_centre - np.arange(length)
    inside = (source >= 0) & (source < length)
    mirrored = np.take(labels, np.clip(source, 0, length - 1), axis=axis)
    outside_shape = [1, 1]
    outside_shape[axis] = length
    return np.where(inside.reshape(outside_shape), mirrored, 0)


def mirror_matches(labels, mirrored, region_count):
    """(first, second) label pairs of regions whose mirror images cover each other with IoU > MIRROR_MATCH_IOU."""
    both = (labels > 0) & (mirrored > 0) & (labels != mirrored)
    size = region_count + 1
    # overlap[i] is how many pixels of region first[i] lie under the mirror image of region second[i].
    pairs, overlap = np.unique(labels[both].astype(np.int64) * size + mirrored[both], return_counts=True)
    first, second = np.divmod(pairs, size)
    sizes = np.bincount(labels.ravel(), minlength=size)
    matched = overlap > MIRROR_MATCH_IOU * (sizes[first] + sizes[second] - overlap)
    return first[matched], second[matched]


def mirror_groups(labels, region_count, twice_centre):
    """A group number per label: regions that are mirror images of each other share one.

    Mirrors about the vertical axis, the horizontal axis and both (a half turn) through the point
    `twice_centre / 2` (row, column) are all matched; the groups are the connected sets of matches.
    """
    twice_row_centre, twice_column_centre = twice_centre
    flipped_left_right = mirror(labels, 1, twice_column_centre)
    flipped_up_down = mirror(labels, 0, twice_row_centre)
    turned = mirror(flipped_left_right, 0, twice_row_centre)
    pairs = [mirror_matches(labels, mirrored, region_count)
             for mirrored in (flipped_left_right, flipped_up_down, turned)]
    first = np.concatenate([pair[0] for pair in pairs])
    second = np.concatenate([pair[1] for pair in pairs])
    size = region_count + 1
    graph = sparse.coo_matrix((np.ones(first.size, np.int8), (first, second)), shape=(size, size))
    _, groups = csgraph.connected_components(graph, directed=False)
    return groups
