#pragma once

// An image as the records that rebuild it (Kafka's MetadataImage.write / ImageWriter): what a
// metadata snapshot holds. Replaying write_image(image) into an empty delta gives an image equal
// to `image` in every part the image keeps (image_difference() finds none).

#include "gregor/metadata/image.h"
#include "gregor/metadata/record_serde.h"

#include <optional>
#include <string>
#include <vector>

namespace gregor::metadata {

// The records in Kafka's order: features (metadata.version first), brokers, topics with their
// partitions, configs, producer ids. Record types the image does not model (ACLs, SCRAM, quotas)
// are not in the image, so they are not written either.
std::vector<ApiMessageAndVersion> write_image(const MetadataImage& image);

// The first difference between two images, ignoring their offsets (nullopt: equal).
std::optional<std::string> image_difference(const MetadataImage& a, const MetadataImage& b);

}  // namespace gregor::metadata
